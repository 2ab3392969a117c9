"""Refresh-token rotation and reuse revocation, and personal API keys."""

from __future__ import annotations

import json
import threading

from bson import json_util

from tests.support.api_fixtures import ApiServer


def _refresh(server: ApiServer, token: str):
    return server.client().post("/auth/refresh", json={"refreshToken": token})


def test_each_refresh_returns_a_new_refresh_token_and_a_working_access_token(api_server: ApiServer):
    _, first = api_server.sign_up()
    second = _refresh(api_server, first["refreshToken"])
    assert second.status_code == 200
    assert second.json()["refreshToken"] != first["refreshToken"]
    assert api_server.client(second.json()["accessToken"]).get("/video-workflows").status_code == 200
    third = _refresh(api_server, second.json()["refreshToken"])
    assert third.status_code == 200


def test_reusing_a_spent_refresh_token_revokes_the_whole_family(make_api_server):
    server = make_api_server(REFRESH_TOKEN_REUSE_GRACE_SECONDS=0)
    user_id, first = server.sign_up()
    successor = _refresh(server, first["refreshToken"]).json()["refreshToken"]

    replay = _refresh(server, first["refreshToken"])
    assert replay.status_code == 401 and "revoked" in replay.json()["detail"]
    assert replay.headers["WWW-Authenticate"].startswith("Bearer")
    assert _refresh(server, successor).status_code == 401, "the stolen token's family must be dead"
    assert server.runtime.db["audit_log"].count_documents({"event": "refresh_family_revoked", "actor": user_id}) == 1
    # A new sign-in starts a new, working family.
    _, fresh = server.sign_up()
    assert _refresh(server, fresh["refreshToken"]).status_code == 200


def test_eight_concurrent_refreshes_of_one_token_let_exactly_one_through(api_server: ApiServer):
    _, tokens = api_server.sign_up()
    barrier = threading.Barrier(8)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def refresh() -> None:
        barrier.wait()
        response = _refresh(api_server, tokens["refreshToken"])
        with lock:
            results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=refresh) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [body for status, body in results if status == 200]
    assert len(winners) == 1 and sorted(s for s, _ in results) == [200] + [401] * 7
    # The losers raced inside the grace window, so the winner's successor still works.
    assert _refresh(api_server, winners[0]["refreshToken"]).status_code == 200


def test_logout_revokes_the_refresh_token(api_server: ApiServer):
    _, tokens = api_server.sign_up()
    assert api_server.client().post("/auth/logout", json={"refreshToken": tokens["refreshToken"]}).status_code == 204
    assert _refresh(api_server, tokens["refreshToken"]).status_code == 401


def test_a_database_dump_holds_no_raw_refresh_token_or_api_key(api_server: ApiServer):
    _, tokens = api_server.sign_up()
    rotated = _refresh(api_server, tokens["refreshToken"]).json()
    key = api_server.client(rotated["accessToken"]).post("/api-keys", json={"name": "ci"}).json()["key"]
    dump = "".join(
        json.dumps(list(api_server.runtime.db[name].find()), default=json_util.default)
        for name in api_server.runtime.db.list_collection_names()
    )
    for secret in (tokens["refreshToken"], rotated["refreshToken"], key):
        assert secret not in dump
        assert secret[8:24] not in dump


def test_an_api_key_is_shown_once_and_works_instead_of_a_token(api_server: ApiServer):
    _, client = api_server.user_client()
    created = client.post("/api-keys", json={"name": "render farm"})
    assert created.status_code == 201
    secret = created.json()["key"]
    listed = client.get("/api-keys").json()["items"]
    assert [k["name"] for k in listed] == ["render farm"] and "key" not in listed[0]

    with_header = api_server.client(**{"X-API-Key": secret}).post(
        "/video-workflows", json={"title": "Key made", "initialPrompt": "A product shot"}
    )
    as_bearer = api_server.client(secret).get("/video-workflows")
    assert with_header.status_code == 201 and as_bearer.status_code == 200
    assert as_bearer.json()["items"][0]["title"] == "Key made"


def test_a_revoked_api_key_gets_401_and_only_its_owner_can_revoke_it(api_server: ApiServer):
    _, owner = api_server.user_client()
    _, other = api_server.user_client()
    created = owner.post("/api-keys", json={"name": "old"}).json()
    assert other.delete(f"/api-keys/{created['id']}").status_code == 404
    revoked = owner.delete(f"/api-keys/{created['id']}")
    assert revoked.status_code == 200 and revoked.json()["revokedAt"] is not None
    response = api_server.client(**{"X-API-Key": created["key"]}).get("/video-workflows")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
