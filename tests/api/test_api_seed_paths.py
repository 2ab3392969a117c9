"""The spec's endpoints also answer at its own paths, without /api: same handlers, auth, limits and errors."""

from __future__ import annotations

import httpx

from tests.support import spec_examples as spec
from tests.support.api_fixtures import ApiServer, workflow_at


def test_the_seed_paths_serve_the_same_workflows_with_the_same_authentication(api_server: ApiServer):
    _, client = api_server.user_client()
    origin = api_server.base_url.removesuffix("/api")
    seed = httpx.Client(base_url=origin, headers=dict(client.headers), timeout=60)
    try:
        created = seed.post("/video-workflows", json=spec.CREATE_WORKFLOW)
        assert created.status_code == 201, created.text
        workflow_id = created.json()["id"]
        assert client.get(f"/video-workflows/{workflow_id}").json() == seed.get(f"/video-workflows/{workflow_id}").json()
        assert [w["id"] for w in seed.get("/video-workflows").json()["items"]] == [workflow_id]

        anonymous = httpx.get(f"{origin}/video-workflows/{workflow_id}")
        assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        assert anonymous.headers["content-type"] == "application/problem+json"
        _, other = api_server.user_client()
        stranger = httpx.get(f"{origin}/video-workflows/{workflow_id}", headers=dict(other.headers))
        assert stranger.status_code == 403
        assert seed.post(f"/video-workflows/{workflow_id}/review-frames", json={"frameReviews": []}).status_code == 422
        assert httpx.get(f"{origin}/video-workflows-elsewhere").status_code != 200
    finally:
        seed.close()


def test_the_seed_paths_share_the_apis_limits_and_openapi_lists_each_operation_once(make_api_server):
    server = make_api_server(clocked=True)
    _, client = server.user_client()
    origin = server.base_url.removesuffix("/api")
    first, second = workflow_at(client, "approved"), workflow_at(client, "approved")
    seed = httpx.Client(base_url=origin, headers=dict(client.headers), timeout=60)
    try:
        assert seed.post(f"/video-workflows/{first}/generate-video", json={"fps": 12}).status_code == 200
        throttled = client.post(f"/video-workflows/{second}/generate-video", json={"fps": 12})
        assert throttled.status_code == 429, "one counter, whichever path the request came in by"
    finally:
        seed.close()
    paths = client.get("/openapi.json").json()["paths"]
    operations = [operation["operationId"] for methods in paths.values() for operation in methods.values()]
    assert len(operations) == len(set(operations)) and "reviewFrames" in operations
    assert "/video-workflows/{workflowId}/review-frames" in paths
