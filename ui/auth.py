"""Sign-in for the UI: our own form over users in MongoDB, throttled, with revocable server-side sessions.

The browser keeps only an HttpOnly cookie holding a random session token (set through POST /api/ui-session
from a one-time handoff code); every script run resolves the token against `ui_sessions`, so a signed-out,
re-passworded or disabled user's copied cookie stops working at once.
"""

from __future__ import annotations

import json

import streamlit as st

from services.accounts.rate_limits import SIGNUP, RateLimitedError
from services.accounts.users import User, UsernameTakenError
from services.bootstrap import Runtime
from services.core.client_address import client_address
from services.core.errors import AuthenticationError, StudioError

COOKIE_NAME = "vws_session"
SESSION_KEY = "ui_session"  # this tab's session token (server-side session state only)
HANDOFF_KEY = "ui_session_handoff"  # a handoff code the page still has to exchange for the cookie
NOTICE_KEY = "sign_in_notice"
USER_ID_KEY = "user_id"  # the signed-in user's id; the only identity pages read
AUTH_MODE_KEY = "auth_mode"
SIGNED_UP = "If that username was free, your account is ready: sign in with it."
COOKIE_ENDPOINT = "/api/ui-session"


def _api(runtime: Runtime):  # type: ignore[no-untyped-def]
    return runtime.api


def browser_ip(runtime: Runtime) -> str:
    """The browser's address for per-IP throttling (X-Forwarded-For only from TRUSTED_PROXIES)."""
    peer, forwarded = st.context.ip_address, st.context.headers.get("X-Forwarded-For")
    return client_address(
        peer if isinstance(peer, str) else None,
        forwarded if isinstance(forwarded, str) else None,
        runtime.settings.trusted_proxies,
    )


def signed_in_user(runtime: Runtime) -> User | None:
    """The user of this tab's session, or of the browser's session cookie; None when neither is live."""
    cookie = st.context.cookies.get(COOKIE_NAME)
    token = st.session_state.get(SESSION_KEY) or (cookie if isinstance(cookie, str) else None)
    user_id = _api(runtime).ui_sessions.resolve(token)  # garbage, revoked or expired: simply signed out
    user = None
    if user_id is not None:
        try:
            user = runtime.users.get(user_id)
        except StudioError:
            user = None
    if user is not None and user.disabled:
        user = None
    st.session_state[SESSION_KEY] = token if user else None
    st.session_state[USER_ID_KEY] = user.id if user else None
    return user


def render_sign_in(runtime: Runtime) -> None:
    """The sign-in screen: sign in, or create an account."""
    st.title("Video Workflow Studio")
    signed_up = st.session_state.pop("signed_up", None)
    if signed_up or AUTH_MODE_KEY not in st.session_state:
        st.session_state[AUTH_MODE_KEY] = "Sign in"  # set before the widget exists, as Streamlit requires
    mode = st.segmented_control("Account", ["Sign in", "Create account"], key=AUTH_MODE_KEY, label_visibility="collapsed")
    if mode == "Create account":
        _sign_up_form(runtime)
        return
    if signed_up:
        st.success(SIGNED_UP)
    if notice := st.session_state.pop(NOTICE_KEY, None):
        st.info(notice)
    _sign_in_form(runtime)


def _sign_in_form(runtime: Runtime) -> None:
    with st.form("sign_in"):
        st.subheader("Sign in")
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    api = _api(runtime)
    try:
        user = api.login_throttle.attempt(
            username=username,
            ip=browser_ip(runtime),
            authenticate=lambda: runtime.users.authenticate(username=username, password=password),
        )
    except RateLimitedError as exc:  # locked, or backing off: the password was not even checked
        st.error(exc.message, icon="⏳")
        return
    except AuthenticationError:
        st.error("Wrong username or password. Check them, or create an account.")
        return
    session = api.ui_sessions.create(user.id)
    st.session_state[SESSION_KEY] = session.token
    if runtime.settings.UI_COOKIE_EXPIRY_DAYS > 0:
        st.session_state[HANDOFF_KEY] = session.handoff  # the next run's page turns it into the cookie
    st.rerun()


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
        _api(runtime).rate_limits.check(SIGNUP, identity=browser_ip(runtime))
        runtime.users.register(username=username, password=password, name=name, email=email)
    except UsernameTakenError:
        pass  # the same answer, at the same cost (the hash is made first), whether or not the name exists
    except StudioError as exc:
        st.error(exc.message)
        return
    st.session_state["signed_up"] = True
    st.rerun()


def _browser_call(method: str, body: dict | None = None, *, then_reload: bool = False) -> None:
    """Have the page call the cookie endpoint (the cookie is HttpOnly, so only an HTTP answer can set it)."""
    options = {"method": method, "credentials": "same-origin", "headers": {"Content-Type": "application/json"}}
    if body is not None:
        options["body"] = json.dumps(body)
    after = ".finally(() => window.location.reload())" if then_reload else ""
    script = f"<script>fetch({json.dumps(COOKIE_ENDPOINT)}, {json.dumps(options)}){after};</script>"
    st.html(script, unsafe_allow_javascript=True)


def render_account_box(user: User, runtime: Runtime) -> None:
    """Who is signed in, and the sign-out button, in the sidebar; sets the cookie after a fresh sign-in."""
    if handoff := st.session_state.pop(HANDOFF_KEY, None):
        _browser_call("POST", {"handoff": handoff})
    with st.sidebar:
        st.caption(f"Signed in as **{user.name}** (`{user.username}`)")
        signing_out = st.button("Sign out", key="sign_out")
    if signing_out:
        sign_out(runtime, notice="Signed out.")


def sign_out(runtime: Runtime, *, notice: str) -> None:
    """End this session on the server (every copy of its cookie), clear the browser's cookie, show the sign-in."""
    _api(runtime).ui_sessions.end(st.session_state.get(SESSION_KEY))
    st.session_state[SESSION_KEY] = None
    st.session_state[USER_ID_KEY] = None
    st.session_state[NOTICE_KEY] = notice
    _browser_call("DELETE", then_reload=True)  # the reload opens the sign-in screen on a clean session
    st.info(notice)
    st.stop()
