"""An attacker's create-use-revoke key loop gets no fresh frame budget: limits count per user (finding 3)."""

from __future__ import annotations

from tests.support.api_fixtures import ApiServer, Scripted, workflow_at


def test_a_new_api_key_per_request_does_not_reset_the_frame_limit(make_api_server):
    scripted = Scripted()
    server: ApiServer = make_api_server(scripted.registry, clocked=True)
    _, client = server.user_client()
    workflows = [workflow_at(client, "refined") for _ in range(12)]
    statuses = []
    for workflow_id in workflows:
        key = client.post("/api-keys", json={"name": "throwaway"}).json()
        by_key = server.client(**{"X-API-Key": key["key"]})
        statuses.append(by_key.post(f"/video-workflows/{workflow_id}/generate-frames", json={"frameCount": 1}).status_code)
        assert client.delete(f"/api-keys/{key['id']}").status_code == 200
    assert statuses == [200] * 10 + [429, 429], statuses
    assert len(scripted.frames.history) == 10, "the loop bought no provider call beyond the user's limit"
