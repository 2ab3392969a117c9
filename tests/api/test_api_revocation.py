"""Revoked means revoked: disabling, deleting or re-passwording a user ends every credential they hold."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.support.api_fixtures import PASSWORD, SHORT_BRIEF, ApiServer

CACHE_WINDOW = 5.0  # the issue's bound: access tokens stop within the cache window, at most 5 s


def _works(server: ApiServer, credentials: dict) -> dict[str, int]:
    """What each credential gets now: the access token and the API key list workflows; the refresh token rotates."""
    return {
        "access": server.client(credentials["access"]).get("/video-workflows").status_code,
        "api_key": server.client(**{"X-API-Key": credentials["api_key"]}).get("/video-workflows").status_code,
        "refresh": server.client().post("/auth/refresh", json={"refreshToken": credentials["refresh"]}).status_code,
    }


def _signed_in_everywhere(server: ApiServer) -> tuple[str, str, dict]:
    name = f"victim-{time.monotonic_ns() % 10**8}"
    user_id, tokens = server.sign_up(name)
    key = server.client(tokens["accessToken"]).post("/api-keys", json={"name": "laptop"}).json()["key"]
    spare = server.client().post("/auth/token", json={"username": name, "password": PASSWORD}).json()["refreshToken"]
    return (
        user_id,
        name,
        {"access": tokens["accessToken"], "api_key": key, "refresh": spare, "ui": ui_cookie(server, user_id)},
    )


def ui_cookie(server: ApiServer, user_id: str) -> str:
    """The UI sign-in cookie as the browser gets it: a UI session's handoff posted to /api/ui-session."""
    handoff = server.runtime.api.ui_sessions.create(user_id).handoff
    response = server.client().post("/ui-session", json={"handoff": handoff})
    assert response.status_code == 204, response.text
    return response.cookies["vws_session"]


ACTIONS: dict[str, Callable[[ApiServer, str, str], None]] = {
    "disable": lambda s, _id, name: s.runtime.users.set_disabled(username=name, disabled=True, actor="test"),
    "delete": lambda s, _id, name: s.runtime.users.delete(username=name, actor="test"),
    "password change": lambda s, user_id, _name: s.runtime.users.change_password(
        user_id=user_id, current_password=PASSWORD, new_password="a brand new secret"
    ),
}


def _until_refused(check: Callable[[], int], within: float) -> float:
    started = time.monotonic()
    while (status := check()) != 401:
        assert status == 200, status
        assert time.monotonic() - started < within, "still accepted after the cache window"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.mark.parametrize("action", ACTIONS)
def test_every_credential_of_the_user_stops_working_at_once(api_server: ApiServer, action: str):
    user_id, name, credentials = _signed_in_everywhere(api_server)
    assert set(_works(api_server, {**credentials, "refresh": credentials["refresh"]}).values()) == {200}
    # The rotation above spent the spare refresh token; take a fresh one for the check after the action.
    credentials["refresh"] = (
        api_server.client().post("/auth/token", json={"username": name, "password": PASSWORD}).json()["refreshToken"]
    )

    ACTIONS[action](api_server, user_id, name)

    refresh = api_server.client().post("/auth/refresh", json={"refreshToken": credentials["refresh"]})
    assert refresh.status_code == 401
    assert (
        api_server.client(**{"X-API-Key": credentials["api_key"]}).post("/api-keys", json={"name": "x"}).status_code == 401
    )
    assert api_server.runtime.api.ui_sessions.resolve(credentials["ui"]) is None, "the UI cookie is dead too"
    _until_refused(lambda: api_server.client(credentials["access"]).get("/video-workflows").status_code, CACHE_WINDOW)
    assert api_server.client(credentials["access"]).post("/video-workflows", json=SHORT_BRIEF).status_code == 401


def test_a_user_document_removed_behind_the_services_back_ends_api_key_and_refresh_token(api_server: ApiServer):
    user_id, _, credentials = _signed_in_everywhere(api_server)
    api_server.runtime.db["users"].delete_one({"_id": user_id})
    _until_refused(
        lambda: api_server.client(**{"X-API-Key": credentials["api_key"]}).get("/video-workflows").status_code, CACHE_WINDOW
    )
    assert api_server.client().post("/auth/refresh", json={"refreshToken": credentials["refresh"]}).status_code == 401


def test_a_token_for_a_user_who_does_not_exist_gets_401_with_what_to_do(api_server: ApiServer):
    token = api_server.runtime.api.access_tokens.issue("no-such-user")
    response = api_server.client(token).get("/video-workflows")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Sign in again" in response.json()["detail"]


def test_signing_out_everywhere_ends_tokens_and_keys_but_the_user_can_sign_in_again(api_server: ApiServer):
    user_id, name, credentials = _signed_in_everywhere(api_server)
    api_server.runtime.users.revoke_sessions(user_id=user_id, actor=user_id)
    _until_refused(lambda: api_server.client(credentials["access"]).get("/video-workflows").status_code, CACHE_WINDOW)
    assert api_server.client(**{"X-API-Key": credentials["api_key"]}).get("/video-workflows").status_code == 401
    fresh = api_server.client().post("/auth/token", json={"username": name, "password": PASSWORD}).json()
    assert api_server.client(fresh["accessToken"]).get("/video-workflows").status_code == 200


def test_401_details_never_name_a_library_class(api_server: ApiServer):
    for token in ("not-a-jwt", "a.b.c", api_server.runtime.api.access_tokens.issue("x")[:-4] + "AAAA"):
        detail = api_server.client(token).get("/video-workflows").json()["detail"]
        assert "Error" not in detail and "PyJWT" not in detail and "/api/auth/token" in detail, detail


def test_the_users_command_disables_an_account(api_server: ApiServer, monkeypatch):  # type: ignore[no-untyped-def]
    from scripts.users import run

    user_id, name, credentials = _signed_in_everywhere(api_server)
    assert run(api_server.runtime.users, "disable", name, actor="cli:test").endswith("every credential revoked")
    assert api_server.client(**{"X-API-Key": credentials["api_key"]}).get("/video-workflows").status_code == 401
    assert api_server.client().post("/auth/token", json={"username": name, "password": PASSWORD}).status_code == 401
    assert run(api_server.runtime.users, "enable", name, actor="cli:test").endswith("enabled")
    assert api_server.client().post("/auth/token", json={"username": name, "password": PASSWORD}).status_code == 200
    audit = {
        d["reason"] for d in api_server.runtime.db["audit_log"].find({"userId": user_id, "event": "credentials_revoked"})
    }
    assert audit == {"disabled"}


def test_the_ui_cookie_is_httponly_strict_and_secure_behind_https(make_api_server):
    server: ApiServer = make_api_server(PUBLIC_BASE_URL="https://studio.example.com")
    user_id, _ = server.sign_up()
    handoff = server.runtime.api.ui_sessions.create(user_id).handoff
    cross_site = server.client(Origin="https://evil.example").post("/ui-session", json={"handoff": handoff})
    assert cross_site.status_code == 403
    response = server.client().post("/ui-session", json={"handoff": handoff})
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header and "secure" in header and "path=/" in header
    assert server.client().post("/ui-session", json={"handoff": handoff}).status_code == 401, "a handoff works once"
    cookie = response.cookies["vws_session"]
    assert server.runtime.api.ui_sessions.resolve(cookie) == user_id
    cleared = server.client(Cookie=f"vws_session={cookie}").delete("/ui-session")
    assert cleared.status_code == 204 and "max-age=0" in cleared.headers["set-cookie"].lower()
    assert server.runtime.api.ui_sessions.resolve(cookie) is None
