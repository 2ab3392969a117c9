"""GET /api/video-workflows/{id}/events: live progress as server-sent events, ending when the step settles."""

from __future__ import annotations

import json

from services.jobs.dispatch import EmbeddedWorkerPool
from tests.support.api_fixtures import ApiServer, Scripted
from tests.support.fakes import SlowVideo
from tests.support.scripted_predictions import MongoScriptedPredictions, registry_with


def events(client, path: str) -> list[dict]:
    received = []
    with client.stream("GET", path, timeout=60) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                received.append(json.loads(line.removeprefix("data: ")))
    return received


def test_the_stream_follows_a_background_generation_until_the_frames_are_ready(make_api_server, db):
    server: ApiServer = make_api_server(
        registry_with(MongoScriptedPredictions(db, seconds=1.5)),
        JOB_BACKEND="embedded",
        JOB_HEARTBEAT_SECONDS=0.1,
        dispatched=True,
    )
    service = server.runtime.service
    assert isinstance(service.dispatcher, EmbeddedWorkerPool)
    service.dispatcher.start()
    try:
        _, tokens = server.sign_up()
        client = server.client(tokens["accessToken"])
        workflow = client.post("/video-workflows", json={"title": "Live", "initialPrompt": "A live test"}).json()
        steps = f"/video-workflows/{workflow['id']}"
        client.post(f"{steps}/refine-prompt", json={})
        assert client.post(f"{steps}/generate-frames", json={"frameCount": 2}).status_code == 202

        updates = events(client, f"{steps}/events")
    finally:
        service.dispatcher.stop()
    job_statuses = [u["job"]["status"] for u in updates]
    assert updates[0]["status"] == "PROCESSING" and "RUNNING" in job_statuses
    # A dispatched job reads QUEUED until a worker claims it (on a loaded machine the first event can come first).
    order = ("QUEUED", "RUNNING", "SUCCEEDED")
    assert job_statuses == sorted(job_statuses, key=order.index), "the job only moves forward"
    assert updates[-1]["status"] == "WAITING_USER_INPUT" and updates[-1]["currentStep"] == "FRAME_REVIEW"
    assert updates[-1]["job"]["status"] == "SUCCEEDED" and updates[-1]["job"]["percent"] == 100
    percents = [u["job"]["percent"] for u in updates]
    assert percents == sorted(percents) and len(set(percents)) > 2, "progress rises while the job runs"
    assert any(u["job"]["etaSeconds"] is not None for u in updates[:-1]), "an ETA is given while it runs"


def test_a_settled_workflow_sends_one_event_and_another_users_gets_403(api_server: ApiServer):
    _, alice = api_server.sign_up()
    _, bob = api_server.sign_up()
    owner = api_server.client(alice["accessToken"])
    workflow = owner.post("/video-workflows", json={"title": "Still", "initialPrompt": "Nothing runs"}).json()
    updates = events(owner, f"/video-workflows/{workflow['id']}/events")
    assert [(u["status"], u["job"]) for u in updates] == [("IN_PROGRESS", None)]
    assert api_server.client(bob["accessToken"]).get(f"/video-workflows/{workflow['id']}/events").status_code == 403


def test_a_running_job_sends_a_progress_event_at_least_every_2_seconds(make_api_server):
    import threading
    import time

    # A video model that takes the video's length in wall time (5 s), reporting as it goes: a slow provider's job,
    # which costs the machine almost nothing while the stream is watched.
    server = make_api_server(Scripted(video=SlowVideo()).registry)
    _, tokens = server.sign_up()
    client = server.client(tokens["accessToken"])
    brief = {"title": "Slow", "initialPrompt": "A long render", "metadata": {"duration": 5}}
    steps = f"/video-workflows/{client.post('/video-workflows', json=brief).json()['id']}"
    client.post(f"{steps}/refine-prompt", json={})
    client.post(f"{steps}/generate-frames", json={"frameCount": 1})
    client.post(f"{steps}/review-frames", json={"frameReviews": [{"frameNumber": 0, "approved": True}]})
    render = threading.Thread(target=lambda: client.post(f"{steps}/generate-video", json={}, timeout=600))
    render.start()
    while client.get(steps).json()["status"] != "PROCESSING":
        time.sleep(0.05)
    arrivals: list[tuple[float, dict]] = []
    with client.stream("GET", f"{steps}/events", timeout=600) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append((time.monotonic(), json.loads(line.removeprefix("data: "))))
    render.join()
    running = [at for at, update in arrivals if update["job"] and update["job"]["status"] == "RUNNING"]
    assert len(running) >= 5
    gaps = [later - earlier for earlier, later in zip(running, running[1:], strict=False)]
    assert max(gaps) <= 2.5, gaps  # 2 s, plus one poll and a loaded machine's margin
    update = next(update for _, update in arrivals if update["job"]["status"] == "RUNNING" and update["job"]["percent"])
    assert update["job"]["message"].startswith("Rendering second ") and update["job"]["startedAt"]
