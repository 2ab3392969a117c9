"""Another user's workflow: 403 on every route and method, and the document stays as it was."""

from __future__ import annotations

import pytest

from tests.support import spec_examples as spec
from tests.support.api_fixtures import ApiServer

ROUTES = [
    ("GET", "", None),
    ("POST", "/refine-prompt", spec.REFINE_PROMPT),
    ("POST", "/generate-frames", spec.GENERATE_FRAMES),
    ("POST", "/review-frames", spec.REVIEW_FRAMES),
    ("POST", "/regenerate-frames", spec.REGENERATE_FRAMES),
    ("POST", "/generate-video", spec.GENERATE_VIDEO),
    ("DELETE", "", None),
    ("DELETE", "?hard=true", None),
]


@pytest.fixture
def owned_workflow(api_server: ApiServer) -> tuple[dict, dict]:
    """A workflow of its owner with frames in review, and a snapshot of its stored document."""
    _, owner = api_server.user_client()
    workflow = owner.post("/video-workflows", json=spec.CREATE_WORKFLOW).json()
    owner.post(f"/video-workflows/{workflow['id']}/refine-prompt", json={})
    owner.post(f"/video-workflows/{workflow['id']}/generate-frames", json={"frameCount": 3})
    owner.post(f"/video-workflows/{workflow['id']}/review-frames", json=spec.REVIEW_FRAMES)
    workflow = owner.get(f"/video-workflows/{workflow['id']}").json()
    return workflow, api_server.runtime.db["video_workflows"].find_one({"_id": workflow["id"]})


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES, ids=[f"{m} {s or '/'}" for m, s, _ in ROUTES])
def test_another_users_token_gets_403_and_changes_nothing(api_server: ApiServer, owned_workflow, method, suffix, body):
    workflow, before = owned_workflow
    _, intruder = api_server.user_client()
    response = intruder.request(method, f"/video-workflows/{workflow['id']}{suffix}", json=body)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"
    assert api_server.runtime.db["video_workflows"].find_one({"_id": workflow["id"]}) == before


def test_another_users_media_gets_403(api_server: ApiServer, owned_workflow):
    workflow, _ = owned_workflow
    _, intruder = api_server.user_client()
    url = workflow["generatedFrames"][0]["imageUrl"].removeprefix("/api")
    assert intruder.get(url).status_code == 403


def test_a_list_never_shows_another_users_workflows(api_server: ApiServer, owned_workflow):
    _, intruder = api_server.user_client()
    intruder.post("/video-workflows", json=spec.CREATE_WORKFLOW)
    listed = intruder.get("/video-workflows").json()
    assert listed["total"] == 1 and owned_workflow[0]["id"] not in {w["id"] for w in listed["items"]}
