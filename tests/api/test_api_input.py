"""Hardened input and one error format: mass assignment, size limits, sanitising, problems, outages."""

from __future__ import annotations

import pytest
from pymongo import MongoClient

from services.workflows.repository import MongoWorkflowRepository
from tests.support import spec_examples as spec
from tests.support.api_fixtures import ApiServer
from tests.support.network import free_port

SERVER_OWNED = {
    "userId": "someone-else",
    "status": "COMPLETED",
    "framesApproved": True,
    "currentStep": "COMPLETED",
    "videoOutput": {"videoKey": "workflows/x/video.mp4"},
    "id": "chosen-id",
    "version": 7,
    "refinementIterations": [],
    "errors": [],
    "createdAt": "2020-01-01T00:00:00Z",
}


@pytest.mark.parametrize("field", list(SERVER_OWNED))
def test_a_create_body_that_sets_a_server_owned_field_gets_422_and_stores_nothing(api_server: ApiServer, field):
    _, client = api_server.user_client()
    response = client.post("/video-workflows", json={**spec.CREATE_WORKFLOW, field: SERVER_OWNED[field]})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request" and field in response.json()["detail"]
    assert api_server.runtime.db["video_workflows"].count_documents({}) == 0


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        ("/refine-prompt", {"additionalInfo": "more", "status": "COMPLETED"}),
        ("/generate-frames", {"frameCount": 2, "framesApproved": True}),
        ("/review-frames", {"frameReviews": [{"frameNumber": 1, "approved": True}], "framesApproved": True}),
        ("/review-frames", {"frameReviews": [{"frameNumber": 1, "approved": True, "version": 9}]}),
        ("/regenerate-frames", {"frameNumbers": [1], "userId": "someone-else"}),
        ("/generate-video", {"fps": 24, "videoOutput": {"videoKey": "workflows/x/video.mp4"}}),
    ],
)
def test_step_bodies_that_set_server_owned_fields_get_422_and_change_nothing(api_server: ApiServer, suffix, body):
    _, client = api_server.user_client()
    workflow = client.post("/video-workflows", json=spec.CREATE_WORKFLOW).json()
    before = api_server.runtime.db["video_workflows"].find_one({"_id": workflow["id"]})
    assert client.post(f"/video-workflows/{workflow['id']}{suffix}", json=body).status_code == 422
    assert api_server.runtime.db["video_workflows"].find_one({"_id": workflow["id"]}) == before


def test_a_body_over_one_mebibyte_gets_413_whether_or_not_it_declares_its_length(api_server: ApiServer):
    _, client = api_server.user_client()
    huge = b'{"title": "' + b"x" * (1024 * 1024 + 1) + b'"}'
    declared = client.post("/video-workflows", content=huge, headers={"content-type": "application/json"})
    streamed = client.post(
        "/video-workflows", content=iter([huge[:1000], huge[1000:]]), headers={"content-type": "application/json"}
    )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large" and "1048576" in response.json()["detail"]


def test_an_over_long_prompt_gets_422_naming_the_limit(api_server: ApiServer):
    _, client = api_server.user_client()
    response = client.post("/video-workflows", json={**spec.CREATE_WORKFLOW, "initialPrompt": "a" * 4001})
    assert response.status_code == 422 and "the limit is 4000" in response.json()["detail"]


def test_prompts_are_stored_without_control_characters_and_unicode_normalised(api_server: ApiServer):
    _, client = api_server.user_client()
    body = {**spec.CREATE_WORKFLOW, "title": "Cafe\u0301\x00 \x1b[31mlaunch", "initialPrompt": "Dawn\x07 run"}
    created = client.post("/video-workflows", json=body).json()
    assert (created["title"], created["initialPrompt"]) == ("Caf\u00e9 [31mlaunch", "Dawn run")


def test_the_page_size_is_capped_at_100(api_server: ApiServer):
    _, client = api_server.user_client()
    assert client.get("/video-workflows", params={"pageSize": 100}).status_code == 200
    assert client.get("/video-workflows", params={"pageSize": 101}).status_code == 422


def test_errors_are_problem_json_a_client_can_act_on(api_server: ApiServer):
    _, client = api_server.user_client()
    missing = client.get("/video-workflows/does-not-exist")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert set(missing.json()) >= {"type", "title", "status", "detail", "code"}
    assert missing.json()["status"] == 404 and missing.json()["code"] == "not_found"
    workflow = client.post("/video-workflows", json=spec.CREATE_WORKFLOW).json()
    too_early = client.post(f"/video-workflows/{workflow['id']}/generate-frames", json={})
    assert too_early.status_code in (409, 422) and "Traceback" not in too_early.text
    assert client.get("/no-such-route").json()["code"] == "route_not_found"
    assert client.get("/media/a%0Ab").headers["content-type"] == "application/problem+json"
    not_allowed = client.put(f"/video-workflows/{workflow['id']}")
    assert not_allowed.status_code == 405 and not_allowed.headers["Allow"] == "DELETE, GET"


def test_a_database_outage_gets_503_with_retry_after_not_a_stack_trace(api_server: ApiServer):
    _, client = api_server.user_client()
    dead = MongoClient(f"mongodb://127.0.0.1:{free_port()}", serverSelectionTimeoutMS=300, connectTimeoutMS=300)
    try:
        api_server.runtime.service.repository = MongoWorkflowRepository(dead["gone"])
        response = client.get("/video-workflows")
    finally:
        dead.close()
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json()["code"] == "database_unavailable" and "Traceback" not in response.text
