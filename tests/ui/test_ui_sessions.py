"""UI sign-in throttling and revocable server-side sessions, through the real pages (AppTest)."""

from __future__ import annotations

import jwt
import pytest

from services.accounts.users import User
from services.bootstrap import Runtime
from tests.support.ui_fixtures import PASSWORD, button, fill_in, open_app

SIGN_IN_FORM = ["Username", "Password"]


def sign_in(at, username: str, password: str):  # type: ignore[no-untyped-def]
    fill_in(at, Username=username, Password=password)
    return button(at, "Sign in").click().run()


@pytest.fixture
def lockable(install, make_service, make_user) -> tuple[Runtime, User]:  # type: ignore[no-untyped-def]
    """The per-account lock alone (no per-IP backoff, which would refuse the second try already)."""
    runtime = install(make_service(LOGIN_IP_BACKOFF_SECONDS=0))
    return runtime, make_user("alice")


def test_the_sixth_wrong_password_is_refused_unchecked_and_says_when_to_retry(lockable):  # type: ignore[no-untyped-def]
    runtime, alice = lockable
    at = open_app()
    for _ in range(5):
        assert "Wrong username or password" in sign_in(at, "alice", "not the password").error[0].value
    locked = sign_in(at, "alice", PASSWORD)  # even the right password: it is not looked at
    message = locked.error[0].value
    assert "locked until" in message and "UTC" in message and "min" in message, message
    assert at.session_state["user_id"] is None
    assert runtime.db["audit_log"].count_documents({"event": "login_locked", "actor": "alice"}) == 1
    # The API's token route shares the lock (same storage), with Retry-After.
    with pytest.raises(Exception, match="locked"):
        runtime.api.login_throttle.check(username="alice", ip="203.0.113.9")


def test_after_a_wrong_password_the_same_address_must_wait_before_the_next_try(runtime: Runtime, alice: User):
    at = open_app()
    sign_in(at, "alice", "not the password")
    refused = sign_in(at, "alice", PASSWORD)
    assert refused.error and "wait" in refused.error[0].value and "seconds" in refused.error[0].value
    assert at.session_state["user_id"] is None


def test_signing_in_reads_only_the_one_user_being_signed_in(runtime: Runtime, alice: User, make_user):  # type: ignore[no-untyped-def]
    for name in ("bob", "carol", "dave"):
        make_user(name)
    seen: list[dict] = []
    find, find_one = runtime.users.collection.find, runtime.users.collection.find_one
    runtime.users.collection.find = lambda *a, **k: seen.append({"find": a}) or find(*a, **k)  # type: ignore[method-assign]
    runtime.users.collection.find_one = lambda *a, **k: seen.append({"find_one": a}) or find_one(*a, **k)  # type: ignore[method-assign]
    try:
        at = sign_in(open_app(), "alice", PASSWORD)
    finally:
        del runtime.users.collection.find, runtime.users.collection.find_one
    assert at.session_state["user_id"] == alice.id
    filters = [list(call.values())[0][0] for call in seen]
    assert filters and all(f in ({"username": "alice"}, {"_id": alice.id}) for f in filters), f"one user only: {filters}"


ACTIONS = {
    "sign-out everywhere": lambda r, u: r.users.revoke_sessions(user_id=u.id, actor=u.id),
    "password change": lambda r, u: r.users.change_password(user_id=u.id, current_password=PASSWORD, new_password="x" * 12),
    "disable": lambda r, u: r.users.set_disabled(username=u.username, disabled=True, actor="test"),
    "delete": lambda r, u: r.users.delete(username=u.username, actor="test"),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_revoked_session_is_signed_out_on_its_next_run_and_its_cookie_is_dead(runtime: Runtime, alice: User, action: str):
    at = open_app(alice)
    assert at.session_state["user_id"] == alice.id
    started = runtime.api.ui_sessions.create(alice.id)
    cookie = runtime.api.ui_sessions.exchange(started.handoff)  # what POST /api/ui-session puts in the cookie
    assert runtime.api.ui_sessions.resolve(cookie) == alice.id

    ACTIONS[action](runtime, alice)

    at.run()
    assert at.session_state["user_id"] is None
    assert [t.label for t in at.text_input] == SIGN_IN_FORM
    assert runtime.api.ui_sessions.resolve(cookie) is None, "a copied cookie stops working at once"


def test_signing_out_ends_the_session_on_the_server(runtime: Runtime, alice: User):
    at = open_app(alice)
    token = at.session_state["ui_session"]
    button(at, "Sign out").click().run()
    assert runtime.api.ui_sessions.resolve(token) is None
    assert any("DELETE" in h.proto.body for h in at.get("html")), "the page clears the browser's cookie too"


def test_a_handoff_code_works_once(runtime: Runtime, alice: User):
    started = runtime.api.ui_sessions.create(alice.id)
    assert runtime.api.ui_sessions.exchange(started.handoff) is not None
    assert runtime.api.ui_sessions.exchange(started.handoff) is None


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        jwt.encode({"username": "alice", "exp_date": 9e12}, key="", algorithm="none"),  # the old cookie, alg none
        "vwss_" + "A" * 43,
        "vwss_" + "A" * 500,
    ],
)
def test_a_bad_cookie_means_signed_out(runtime: Runtime, alice: User, cookie: str):
    assert runtime.api.ui_sessions.resolve(cookie) is None


def test_the_settings_page_signs_the_user_out_everywhere(runtime: Runtime, alice: User):
    at = open_app(alice, page="app_pages/settings.py")
    other_tab = runtime.api.ui_sessions.create(alice.id).token
    key = runtime.api.api_keys.create(user_id=alice.id, name="laptop").secret
    button(at, "Sign Out Everywhere").click().run()
    assert runtime.api.ui_sessions.resolve(other_tab) is None
    with pytest.raises(Exception, match="revoked"):
        runtime.api.api_keys.authenticate(key)
    at.run()
    assert [t.label for t in at.text_input] == SIGN_IN_FORM
