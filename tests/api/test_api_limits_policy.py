"""Limits charge only work that starts, hold per user, and are one counter for the pages and the API."""

from __future__ import annotations

import threading
from collections.abc import Callable

from services.workflows.usage import FRAMES, REFINEMENT, VIDEO
from tests.support.api_fixtures import SHORT_BRIEF, ApiServer, Scripted, workflow_at


def _remaining(server: ApiServer, user_id: str) -> dict[str, int]:
    limits = server.runtime.api.rate_limits
    return {op: limits.quota(op, user_id=user_id).remaining for op in (REFINEMENT, FRAMES, VIDEO)}


def test_the_seeds_sequence_refused_video_then_approve_then_video_starts(make_api_server: Callable[..., ApiServer]):
    server = make_api_server(Scripted().registry, clocked=True)
    user_id, client = server.user_client()
    workflow_id = workflow_at(client, "framed")
    base = f"/video-workflows/{workflow_id}"
    before = _remaining(server, user_id)

    refused = client.post(f"{base}/generate-video", json={"fps": 12})
    assert refused.status_code == 409, refused.text
    assert _remaining(server, user_id) == before, "a refused request uses up nothing"
    assert client.post(f"{base}/review-frames", json={"frameReviews": [{"frameNumber": 0, "approved": True}]}).is_success
    started = client.post(f"{base}/generate-video", json={"fps": 12})
    assert started.status_code == 200, started.text
    assert _remaining(server, user_id)[VIDEO] == before[VIDEO] - 1


def test_requests_refused_for_state_validation_ownership_or_caps_leave_every_counter_unchanged(make_api_server):
    server = make_api_server(Scripted().registry, clocked=True, MAX_REFINEMENT_ITERATIONS=1)
    user_id, client = server.user_client()
    _, stranger = server.user_client()
    approved, refined = workflow_at(client, "approved"), workflow_at(client, "refined")
    fresh = client.post("/video-workflows", json=SHORT_BRIEF).json()["id"]
    before = _remaining(server, user_id)
    refusals = [
        (f"/video-workflows/{fresh}/generate-frames", {"frameCount": 1}, 409),  # no refined prompt yet
        (f"/video-workflows/{fresh}/generate-video", {}, 409),  # state
        (f"/video-workflows/{refined}/refine-prompt", {}, 422),  # the workflow's one round is used
        (f"/video-workflows/{approved}/refine-prompt", {}, 409),  # not at this step
        (f"/video-workflows/{approved}/regenerate-frames", {"frameNumbers": [0]}, 422),  # approved frames stay
        (f"/video-workflows/{approved}/regenerate-frames", {"frameNumbers": [5]}, 422),  # no such frame
        (f"/video-workflows/{approved}/generate-video", {"fps": 500}, 422),  # validation
        (f"/video-workflows/{approved}/generate-video", {"model": "midjourney"}, 422),  # unknown model
    ]
    for path, body, status in refusals:
        response = client.post(path, json=body)
        assert response.status_code == status, (path, body, response.text)
    for path in ("generate-video", "generate-frames", "refine-prompt"):
        assert stranger.post(f"/video-workflows/{approved}/{path}", json={}).status_code == 403
    assert _remaining(server, user_id) == before


def test_concurrent_videos_on_one_workflow_start_one_job_and_charge_one_video(make_api_server):
    scripted = Scripted()
    server = make_api_server(scripted.registry, RATE_LIMIT_VIDEO="10/hour")
    user_id, client = server.user_client()
    workflow_id = workflow_at(client, "approved")
    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def video() -> None:
        barrier.wait()
        statuses.append(client.post(f"/video-workflows/{workflow_id}/generate-video", json={"fps": 12}).status_code)

    threads = [threading.Thread(target=video) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 11, statuses  # one renders, the rest find it busy or completed
    assert len(scripted.video.history) == 1
    assert server.runtime.api.rate_limits.quota(VIDEO, user_id=user_id).remaining == 9, "losers were refunded"


def test_the_ui_and_the_api_draw_on_one_counter(make_api_server):
    server = make_api_server(Scripted().registry, clocked=True)
    user_id, client = server.user_client()
    first, second = workflow_at(client, "approved"), workflow_at(client, "approved")
    service = server.runtime.service  # what the wizard's Generate Video button calls, on the pages' runtime
    assert service.remaining_quota(user_id=user_id).remaining == 1
    service.generate_video(user_id=user_id, workflow_id=first, fps=12)
    quota = service.remaining_quota(user_id=user_id)
    assert (quota.remaining, quota.limit, quota.resets_in_seconds) == (0, "1 per 1 hour", 3600)
    refused = client.post(f"/video-workflows/{second}/generate-video", json={"fps": 12})
    assert refused.status_code == 429 and refused.json()["limit"] == "1 per 1 hour"


def test_api_key_creation_is_capped_per_user_per_day_and_revoking_gives_nothing_back(make_api_server):
    server = make_api_server(clocked=True)
    _, client = server.user_client()
    for number in range(20):
        created = client.post("/api-keys", json={"name": f"key {number}"})
        assert created.status_code == 201, created.text
        assert client.delete(f"/api-keys/{created.json()['id']}").status_code == 200
    refused = client.post("/api-keys", json={"name": "one too many"})
    assert refused.status_code == 429 and refused.json()["limit"] == "20 per 1 day"
    server.clock.advance(86_400)
    assert client.post("/api-keys", json={"name": "tomorrow"}).status_code == 201
