"""Settings: the user's password, provider keys and API keys, and whether the studio's parts are up."""

import streamlit as st

from services.errors import StudioError
from ui.widgets import show_error
from ui_support import cached_runtime, current_user_id

runtime = cached_runtime()
user_id = current_user_id()
st.title("Settings")

st.subheader("Password")
with st.form("change_password", clear_on_submit=True):
    current = st.text_input("Current password", type="password")
    new = st.text_input("New password", type="password", help="At least 8 characters.")
    repeat = st.text_input("Repeat the new password", type="password")
    submitted = st.form_submit_button("Change Password")
if submitted:
    if new != repeat:
        st.error("The two new passwords differ. Type the same password twice.")
    else:
        try:
            runtime.users.change_password(user_id=user_id, current_password=current, new_password=new)
            st.success("Password changed. Use the new one next time you sign in.")
        except StudioError as exc:
            show_error(exc)

st.subheader("Provider keys")
st.info("Provider keys come from the server's environment for now (POE_API_KEY, REPLICATE_API_KEY). "
        "Keys of your own, stored encrypted, arrive with the encrypted key store.")
configured = {"Poe": runtime.settings.POE_API_KEY is not None, "Replicate": runtime.settings.REPLICATE_API_KEY is not None}
for provider, present in configured.items():
    state = "configured on the server" if present else "not configured — offline providers serve its models"
    st.write(f"{provider}: {state}")

st.subheader("API keys")
st.info("Personal API keys for the REST API arrive with the REST API; this page will list and revoke them.")

st.subheader("System")
database, mode = st.columns(2)
database.metric("Database", "connected" if runtime.database_ok() else "unreachable")
mode.metric("Mode", "embedded SecantusDB" if runtime.embedded is not None else "MongoDB at MONGODB_URI")
