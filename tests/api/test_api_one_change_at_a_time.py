"""50 concurrent mixed changes to one workflow on the real database: one job at a time, and a consistent end."""

from __future__ import annotations

import random
import threading
import time

from services.jobs.store import JOBS
from services.workflows.repository import WORKFLOWS
from tests.support.api_fixtures import ApiServer, Scripted
from tests.support.fakes import ScriptedFrameGenerator

OPEN = ("QUEUED", "RUNNING")


def _consistent(server: ApiServer, workflow_id: str) -> None:
    """Approved frames are their current version; framesApproved iff all are; the status matches the job."""
    db = server.runtime.db
    workflow = server.runtime.service.repository.get(workflow_id)
    assert workflow is not None
    for frame in workflow.generated_frames:
        earlier = [v.version for v in frame.history]
        assert frame.version not in earlier and len(set(earlier)) == len(earlier), frame
        assert frame.image_key not in {v.image_key for v in frame.history}, "the current version is not also history"
        assert server.runtime.media.get_bytes(frame.image_key)
    assert workflow.frames_approved == (
        bool(workflow.generated_frames) and all(f.approved for f in workflow.generated_frames)
    )
    open_jobs = list(db[JOBS].find({"workflowId": workflow_id, "status": {"$in": list(OPEN)}}))
    if workflow.status.value == "PROCESSING":
        assert [job["_id"] for job in open_jobs] == [workflow.active_job_id]
    else:
        assert workflow.active_job_id is None and open_jobs == []
    assert db[WORKFLOWS].count_documents({"_id": workflow_id}) == 1


def test_50_concurrent_mixed_changes_never_run_two_jobs_and_leave_the_workflow_consistent(make_api_server):
    scripted = Scripted(frames=ScriptedFrameGenerator(delay=0.3, redraw=False))
    server: ApiServer = make_api_server(
        scripted.registry, RATE_LIMIT_FRAMES="1000/minute", RATE_LIMIT_VIDEO="1000/hour", MAX_FRAME_REGENERATIONS=100
    )
    _, client = server.user_client()
    brief = {"title": "Busy", "initialPrompt": "Many hands", "metadata": {"duration": 1}}
    workflow_id = client.post("/video-workflows", json=brief).json()["id"]
    base = f"/video-workflows/{workflow_id}"
    client.post(f"{base}/refine-prompt", json={})
    client.post(f"{base}/generate-frames", json={"frameCount": 3})
    client.post(f"{base}/review-frames", json={"frameReviews": [{"frameNumber": 1, "approved": False, "feedback": "x"}]})
    assert client.post(f"{base}/regenerate-frames", json={"frameNumbers": [1]}).status_code == 200  # a version 1 to restore

    rng = random.Random(12)

    def review() -> tuple[str, dict]:
        frame = rng.randrange(3)
        approved = rng.random() < 0.7
        body = {"frameNumber": frame, "approved": approved, **({} if approved else {"feedback": "again"})}
        return "review-frames", {"frameReviews": [body]}

    actions = [
        review,
        lambda: ("restore-frame-version", {"frameNumber": 1, "version": 1}),
        lambda: ("regenerate-frames", {"frameNumbers": [rng.randrange(3)]}),
        lambda: ("generate-video", {"fps": 12, "duration": 1}),
        lambda: ("cancel", None),
    ]
    requests = [rng.choice(actions)() for _ in range(50)]
    barrier = threading.Barrier(50)
    statuses: list[tuple[str, int]] = []
    most_open, stop = [0], threading.Event()

    def watch() -> None:  # never more than one running job, sampled throughout
        while not stop.is_set():
            most_open[0] = max(
                most_open[0],
                server.runtime.db[JOBS].count_documents({"workflowId": workflow_id, "status": {"$in": list(OPEN)}}),
            )
            time.sleep(0.005)

    def send(action: str, body: dict | None) -> None:
        barrier.wait()
        if action == "restore-frame-version":  # the UI's action: a service call on the same runtime
            from services.core.errors import StudioError

            try:
                server.runtime.service.restore_frame_version(
                    user_id=server.runtime.service.get_workflow(user_id=owner, workflow_id=workflow_id).user_id,
                    workflow_id=workflow_id,
                    frame_number=1,
                    version=1,
                )
                statuses.append((action, 200))
            except StudioError as refused:
                statuses.append((action, type(refused).__name__))  # type: ignore[arg-type]
            return
        response = client.post(f"{base}/{action}", json=body) if body is not None else client.post(f"{base}/{action}")
        statuses.append((action, response.status_code))

    owner = server.runtime.service.repository.get(workflow_id).user_id  # type: ignore[union-attr]
    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + 60
    while server.runtime.db[JOBS].count_documents({"workflowId": workflow_id, "status": {"$in": list(OPEN)}}):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(0.5)  # a canceled job's worker may still be finishing its provider call: it must write nothing
    stop.set()
    watcher.join()

    assert most_open[0] <= 1, "two jobs ran at once"
    assert len(statuses) == 50
    assert all(
        status in (200, 202, 409, 422, "BusyError", "InvalidTransitionError", "ValidationError") for _, status in statuses
    ), statuses
    assert any(status == 409 for _, status in statuses), "some changes met a running job"
    _consistent(server, workflow_id)
