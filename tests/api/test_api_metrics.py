"""GET /api/metrics after a scripted workflow shows each of the spec's metrics with the right values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.core import metrics
from services.core.clock import utc_now
from services.core.errors import ConfigurationError, ProviderError
from services.jobs.store import JOBS
from tests.support.api_fixtures import SHORT_BRIEF, ApiServer, Scripted
from tests.support.scraped_metrics import scrape

ROUTE = "/api/video-workflows/{workflowId}"


def test_a_scripted_workflow_moves_every_metric_by_exactly_what_happened(make_api_server):
    scripted = Scripted()
    scripted.video.failures.append(ProviderError("The video model is overloaded.", provider="scripted"))
    server: ApiServer = make_api_server(scripted.registry, RATE_LIMIT_REFINEMENT="2/minute", RATE_LIMIT_VIDEO="5/hour")
    _, client = server.user_client()
    before = scrape(server.base_url)

    workflow_id = client.post("/video-workflows", json=SHORT_BRIEF).json()["id"]
    base = f"/video-workflows/{workflow_id}"
    assert client.post(f"{base}/refine-prompt", json={}).status_code == 200
    assert client.post(f"{base}/refine-prompt", json={"additionalInfo": "warmer light"}).status_code == 200
    assert client.post(f"{base}/refine-prompt", json={}).status_code == 429, "the third round is over the limit"
    assert client.post(f"{base}/generate-frames", json={"frameCount": 3}).status_code == 200
    reviews = [
        {"frameNumber": 0, "approved": True},
        {"frameNumber": 1, "approved": True},
        {"frameNumber": 2, "approved": False, "feedback": "too dark"},
    ]
    assert client.post(f"{base}/review-frames", json={"frameReviews": reviews}).status_code == 200
    assert client.post(f"{base}/regenerate-frames", json={"frameNumbers": [2]}).status_code == 200
    approve_three = {"frameReviews": [{"frameNumber": 2, "approved": True}]}
    assert client.post(f"{base}/review-frames", json=approve_three).status_code == 200
    assert client.post(f"{base}/generate-video", json={"duration": 1, "fps": 12}).status_code == 502
    finished = client.post(f"{base}/generate-video", json={"duration": 1, "fps": 12})
    assert finished.status_code == 200 and finished.json()["status"] == "COMPLETED", finished.text
    assert finished.json()["frameReviews"] == {"approved": 3, "rejected": 1}, "the workflow keeps the same tally"
    assert finished.json()["videoOutput"]["durationMs"] > 0

    changed = scrape(server.base_url).minus(before)
    assert changed.value("vws_workflows_created_total") == 1
    assert changed.value("vws_refinement_iterations_total", model="gpt-4o", cached="false") == 2
    assert changed.value("vws_refinement_iterations_per_workflow_count") == 1
    assert changed.value("vws_refinement_iterations_per_workflow_sum") == 2, "two rounds before the storyboard"
    assert changed.value("vws_frame_reviews_total", decision="approved") == 3
    assert changed.value("vws_frame_reviews_total", decision="rejected") == 1
    assert changed.value("vws_video_generations_total", model="veo-3", outcome="failed") == 1
    assert changed.value("vws_video_generations_total", model="veo-3", outcome="succeeded") == 1
    timed = {
        step: changed.value("vws_generation_duration_seconds_count", step=step, model=model)
        for step, model in (("refinement", "gpt-4o"), ("frame", "stable-diffusion-xl"), ("video", "veo-3"))
    }
    assert timed == {"refinement": 2, "frame": 4, "video": 1}, "3 frames + 1 regenerated; the failed video untimed"
    assert changed.value("vws_generation_duration_seconds_sum", step="video", model="veo-3") > 0
    assert changed.value("vws_step_errors_total", step="VIDEO_GENERATION", provider="scripted") == 1
    assert changed.total("vws_step_errors_total") == 1
    assert changed.value("vws_rate_limit_rejections_total", operation="refinement") == 1
    refine_route = f"{ROUTE}/refine-prompt"
    assert changed.value("vws_http_request_duration_seconds_count", method="POST", route=refine_route, status="200") == 2
    assert changed.value("vws_http_request_duration_seconds_count", method="POST", route=refine_route, status="429") == 1
    assert (
        changed.value(
            "vws_http_request_duration_seconds_count", method="POST", route=f"{ROUTE}/generate-video", status="502"
        )
        == 1
    )


def test_queue_depth_and_age_come_from_the_jobs_collection(api_server: ApiServer):
    now = utc_now()
    jobs = [("job-1", "QUEUED", 30), ("job-2", "QUEUED", 120), ("job-3", "RUNNING", 0), ("job-4", "SUCCEEDED", 900)]
    api_server.runtime.db[JOBS].insert_many(
        [
            {
                "_id": job_id,
                "userId": "u1",
                "idempotencyKey": job_id,
                "status": status,
                "createdAt": now - timedelta(seconds=age),
            }
            for job_id, status, age in jobs
        ]
    )
    scraped = scrape(api_server.base_url)
    assert scraped.value("vws_job_queue_depth", status="queued") == 2
    assert scraped.value("vws_job_queue_depth", status="running") == 1
    assert 120 <= scraped.value("vws_job_queue_oldest_age_seconds", status="queued") < 180


def test_unknown_paths_share_one_route_label_so_scanners_cannot_flood_the_metrics(api_server: ApiServer):
    for path in ("/wp-admin", "/.env", "/video-workflows/../../etc/passwd"):
        api_server.client().get(path)
    routes = {
        dict(labels)["route"]
        for name, labels in scrape(api_server.base_url).samples
        if name == "vws_http_request_duration_seconds_count"
    }
    assert "unmatched" in routes and not any("wp-admin" in r or ".env" in r for r in routes)


def test_metrics_can_require_a_bearer_token(make_api_server):
    server: ApiServer = make_api_server(METRICS_TOKEN="scrape-me-please-0123456789")
    anonymous = server.client().get("/metrics")
    assert anonymous.status_code == 401 and "METRICS_TOKEN" in anonymous.text
    assert (
        scrape(server.base_url, Authorization="Bearer scrape-me-please-0123456789").value(
            "vws_job_queue_depth", status="queued"
        )
        == 0
    )


def test_a_multiprocess_dir_only_in_dotenv_is_refused_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with pytest.raises(ConfigurationError, match="export it"):
        metrics.check_multiprocess_setting(tmp_path / "metrics")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    metrics.check_multiprocess_setting(tmp_path / "metrics")  # set in the environment too: fine
    metrics.check_multiprocess_setting(None)
