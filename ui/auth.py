"""Sign-in for the UI: streamlit-authenticator's login widget, cookie and logout over users kept in MongoDB."""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path

import streamlit as st
import streamlit_authenticator as stauth

from services.accounts.users import User
from services.bootstrap import Runtime
from services.core.errors import StudioError
from services.core.kept_secrets import kept_secret

COOKIE_NAME = "vws_session"
USER_ID_KEY = "user_id"  # the signed-in user's id; the only identity pages read
AUTH_MODE_KEY = "auth_mode"


def cookie_key(runtime: Runtime) -> str:
    """UI_COOKIE_KEY, or a random key created once under DATA_DIR so sessions survive restarts."""
    if runtime.settings.UI_COOKIE_KEY is not None:
        return runtime.settings.UI_COOKIE_KEY.get_secret_value()
    path = Path(runtime.settings.DATA_DIR) / "ui-cookie.key"
    return kept_secret(path, lambda: secrets.token_urlsafe(48).encode()).decode().strip()


def _credentials(runtime: Runtime) -> dict:
    """The credentials dict streamlit-authenticator expects, built from MongoDB (bcrypt hashes).

    Once a session is signed in only that user is needed; on the sign-in screen every enabled user is.
    """
    signed_in = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    users = runtime.users.enabled_users(username=signed_in or None)
    return {
        "usernames": {
            u.username: {"name": u.name, "email": u.email, "password": u.password_hash, "roles": u.roles} for u in users
        }
    }


def authenticator(runtime: Runtime) -> stauth.Authenticate:
    """The authenticator for this run (it must be built on every run, as the library expects)."""
    return stauth.Authenticate(
        _credentials(runtime),
        COOKIE_NAME,
        cookie_key(runtime),
        runtime.settings.UI_COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        login_sleep_time=0,
    )


def signed_in_user(runtime: Runtime, auth: stauth.Authenticate) -> User | None:
    """The signed-in user (from the form or the re-authentication cookie), or None."""
    with contextlib.suppress(stauth.utilities.LoginError):  # a cookie for a user that no longer exists
        auth.login(location="unrendered")
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    user = runtime.users.get_by_username(username) if username else None
    if username and (user is None or user.disabled):
        # Removed or disabled since signing in: end the session (these keys are the library's public state).
        for key in ("authentication_status", "username", "name"):
            st.session_state[key] = None
        user = None
    st.session_state[USER_ID_KEY] = user.id if user else None
    return user


def render_sign_in(runtime: Runtime, auth: stauth.Authenticate) -> None:
    """The sign-in screen: log in, or create an account."""
    st.title("Video Workflow Studio")
    signed_up = st.session_state.pop("signed_up", None)
    if signed_up or AUTH_MODE_KEY not in st.session_state:
        st.session_state[AUTH_MODE_KEY] = "Sign in"  # set before the widget exists, as Streamlit requires
    mode = st.segmented_control("Account", ["Sign in", "Create account"], key=AUTH_MODE_KEY, label_visibility="collapsed")
    if mode == "Create account":
        _sign_up_form(runtime)
        return
    if signed_up:
        st.success("Your account is ready. Sign in with it.")
    auth.login(
        location="main", fields={"Form name": "Sign in", "Username": "Username", "Password": "Password", "Login": "Sign in"}
    )
    if st.session_state.get("authentication_status") is False:
        st.error("Wrong username or password. Check them, or create an account.")
    elif st.session_state.get("authentication_status"):
        if runtime.settings.UI_COOKIE_EXPIRY_DAYS == 0:
            st.rerun()  # no cookie to set
        # Otherwise no st.rerun: the cookie component must reach the browser; it reruns the app once it is set.
        st.success("Signed in. Opening the studio…")


def _sign_up_form(runtime: Runtime) -> None:
    with st.form("sign_up"):
        st.subheader("Create account")
        name = st.text_input("Your name")
        username = st.text_input("Choose a username", help="3–32 characters: letters, digits, '.', '_' or '-'.")
        email = st.text_input("Email (optional)")
        password = st.text_input("Choose a password", type="password", help="At least 8 characters.")
        repeat = st.text_input("Repeat the password", type="password")
        submitted = st.form_submit_button("Create account", type="primary")
    if not submitted:
        return
    if password != repeat:
        st.error("The two passwords differ. Type the same password twice.")
        return
    try:
        runtime.users.register(username=username, password=password, name=name, email=email)
    except StudioError as exc:
        st.error(exc.message)
        return
    st.session_state["signed_up"] = True
    st.rerun()


def render_account_box(user: User, auth: stauth.Authenticate) -> None:
    """Who is signed in, and the sign-out button, in the sidebar."""
    with st.sidebar:
        st.caption(f"Signed in as **{user.name}** (`{user.username}`)")
        auth.logout("Sign out", location="sidebar", key="sign_out")
    if not st.session_state.get("authentication_status"):
        # Signed out in this run: the cookie-deleting component reruns the app onto the sign-in screen.
        st.session_state[USER_ID_KEY] = None
        st.info("Signed out.")
        st.stop()
