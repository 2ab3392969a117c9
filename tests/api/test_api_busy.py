"""Over HTTP: a change sent while a generation job runs gets 409 naming the job; cancel is allowed."""

from __future__ import annotations

import threading
import time

from tests.support.api_fixtures import Scripted, workflow_at
from tests.support.fakes import ScriptedFrameGenerator


def test_a_review_during_a_regeneration_gets_409_naming_the_running_job_and_cancel_still_works(make_api_server):
    scripted = Scripted(frames=ScriptedFrameGenerator(delay=2.0))
    server = make_api_server(scripted.registry)
    _, client = server.user_client()
    workflow_id = workflow_at(client, "framed")
    base = f"/video-workflows/{workflow_id}"
    assert client.post(f"{base}/review-frames", json={"frameReviews": [{"frameNumber": 0, "approved": False}]}).is_success
    thread = threading.Thread(target=lambda: client.post(f"{base}/regenerate-frames", json={"frameNumbers": [0]}))
    thread.start()
    deadline = time.monotonic() + 10
    while client.get(base).json()["status"] != "PROCESSING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    job_id = client.get(base).json()["activeJobId"]

    refused = client.post(f"{base}/review-frames", json={"frameReviews": [{"frameNumber": 0, "approved": True}]})
    assert refused.status_code == 409, refused.text
    assert (refused.json()["code"], refused.json()["jobId"]) == ("busy", job_id)
    assert job_id in refused.json()["detail"]
    assert client.delete(base).status_code == 409
    assert client.post(f"{base}/cancel").status_code == 200
    thread.join(timeout=30)
    assert client.get(base).json()["generatedFrames"][0]["approved"] is False
