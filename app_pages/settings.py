"""Settings: the user's password, provider keys and API keys, and whether the studio's parts are up."""

import streamlit as st

from services.accounts.admins import is_admin
from services.core.errors import StudioError
from ui.auth import sign_out
from ui.session import cached_runtime, current_user_id
from ui.widgets import show_error

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
        except StudioError as exc:
            show_error(exc)
        else:
            sign_out(runtime, notice="Password changed: every session, refresh token and API key was ended. Sign in again.")

st.subheader("Sessions")
st.caption("Ends every sign-in of yours at once: this and other browsers, API tokens, and your API keys.")
if st.button("Sign Out Everywhere", help="Use it when a device or a key may be in someone else's hands."):
    runtime.users.revoke_sessions(user_id=user_id, actor=user_id)
    sign_out(runtime, notice="Signed out everywhere. Sign in again; create new API keys where you need them.")

st.subheader("Provider keys")
configured = {"poe": runtime.settings.POE_API_KEY is not None, "replicate": runtime.settings.REPLICATE_API_KEY is not None}
vault = runtime.vault
own = set(vault.providers_of(user_id)) if vault is not None else set()
for provider, on_server in configured.items():
    if provider in own:
        state = "your own key (stored encrypted; it takes precedence)"
    elif on_server:
        state = "the server's key"
    else:
        state = "no key — offline providers serve its models"
    st.write(f"**{provider.title()}**: {state}")
if vault is None:
    st.info(
        "Storing keys of your own needs PROVIDER_KEY_MASTER_KEYS on the server; until then the server's keys "
        "(POE_API_KEY, REPLICATE_API_KEY) are used."
    )
else:
    with st.form("provider_key", clear_on_submit=True):
        provider = st.selectbox("Provider", list(configured), format_func=str.title)
        secret = st.text_input("Your key", type="password", help="Stored encrypted; never shown again.")
        saved = st.form_submit_button("Save Key")
    if saved:
        try:
            vault.store(user_id=user_id, provider=provider, api_key=secret)
            st.success(f"Your {provider.title()} key is saved. It is used for your generations from now on.")
            st.rerun()
        except StudioError as exc:
            show_error(exc)
    for provider in sorted(own):
        if st.button(f"Remove my {provider.title()} key", key=f"remove_{provider}"):
            vault.delete(user_id=user_id, provider=provider)
            st.rerun()

st.subheader("API keys")
st.caption(
    "Personal keys for the REST API (send as `X-API-Key`, or as the bearer token). "
    "Frame and video limits count per user, whichever key is used."
)
api = runtime.api
if api is not None:
    with st.form("api_key", clear_on_submit=True):
        name = st.text_input("Key name", placeholder="e.g. render farm")
        create = st.form_submit_button("Create API Key")
    if create:
        try:
            created = api.api_keys.create(user_id=user_id, name=name)
            st.success("Copy this key now: it is shown only once.")
            st.code(created.secret, language=None)
        except StudioError as exc:
            show_error(exc)
    for key in api.api_keys.list_for_user(user_id):
        label, action = st.columns([4, 1])
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
        label.write(f"**{key.name}** `{key.prefix}…` — {state}, {used}")
        if key.revoked_at is None and action.button("Revoke", key=f"revoke_{key.id}"):
            api.api_keys.revoke(user_id=user_id, key_id=key.id)
            st.rerun()

if is_admin(runtime.users.get(user_id)):
    st.subheader("Accounts (admin)")
    with st.form("account_access", clear_on_submit=True):
        target = st.text_input("Username")
        change = st.radio("Action", ["Disable", "Enable"], horizontal=True)
        apply = st.form_submit_button("Apply")
    if apply:
        try:
            changed = runtime.users.set_disabled(username=target, disabled=change == "Disable", actor=user_id)
            done = "disabled; every session and key of theirs was revoked" if changed.disabled else "enabled"
            st.success(f"{changed.username}: {done}.")
        except StudioError as exc:
            show_error(exc)

# A stable anchor (PROVIDER_STATUS_URL): banners elsewhere link here.
st.subheader("Provider status", anchor="provider-status")
status = runtime.providers()
st.caption(
    "Every model id: what it maps to today, whether the provider still serves it (checked at start-up and every "
    f"{runtime.settings.MODEL_CHECK_INTERVAL_SECONDS / 3600:g} h when keys are set), and its price with the source. "
    "Prices are estimates from the configuration; providers bill in their own units."
)
for missing_key in status.missing_keys():
    st.caption(f"{missing_key} is not set: its models are not checked, and the offline renderers serve them.")
if status.has_keys() and st.button("Check Now", help="Read-only calls to the providers; nothing is paid for."):
    status.check_now()
    st.rerun()
st.dataframe(
    [
        {
            "Model": row.model_id,
            "Role": row.role,
            "Provider model": f"{row.provider} {row.reference}",
            "Lifecycle": row.lifecycle,
            "Available": row.availability if row.availability == "available" else f"{row.availability}: {row.reason}",
            "Checked": f"{row.checked_at:%Y-%m-%d %H:%M} UTC" if row.checked_at else "-",
            "Circuit": row.circuit,
            "Price (estimate)": row.price,
            "Price source": row.price_source or "-",
            "Lifecycle source": row.lifecycle_source or "-",
        }
        for row in status.rows()
    ],
    hide_index=True,
    key="provider_status_table",
)

st.subheader("System")
database, mode = st.columns(2)
database.metric("Database", "connected" if runtime.database_ok() else "unreachable")
mode.metric("Mode", "embedded SecantusDB" if runtime.embedded is not None else "MongoDB at MONGODB_URI")
