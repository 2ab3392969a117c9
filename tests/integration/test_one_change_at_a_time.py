"""While a generation job runs, every other change is refused with 409 naming the job; cancel is allowed."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest

from services.core.clock import utc_now
from services.core.errors import BusyError, StudioError
from services.jobs import control
from services.jobs.store import JobKind, JobStatus
from services.workflows.domain import WorkflowStatus
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.fakes import ScriptedFrameGenerator, ScriptedRefiner, ScriptedVideoGenerator, scripted_registry

USER = "user-alice"


@pytest.fixture
def slow_frames() -> ScriptedFrameGenerator:
    return ScriptedFrameGenerator(delay=1.5)


@pytest.fixture
def service(make_service, slow_frames):
    return make_service(scripted_registry(ScriptedRefiner(), slow_frames, ScriptedVideoGenerator()))


def _regenerating(service) -> tuple[str, str, threading.Thread]:
    """A reviewed workflow whose regeneration of frame 1 is running in a background worker; (workflow, job, worker).

    The caller joins the worker before the test ends: a canceled job still finishes its provider call, and its last
    writes must reach the test's database, not a client the teardown has closed.
    """
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
    service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(0, True), FrameReview(1, False, "x")])
    started = threading.Event()
    job_ids: list[str] = []

    def run() -> None:
        with contextlib.suppress(StudioError):  # the test cancels it
            running = service.regenerate_frames(user_id=USER, workflow_id=workflow.id, frame_numbers=[1])
            job_ids.append(running.active_job_id or "")
        started.set()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    for _ in range(100):
        current = service.get_workflow(user_id=USER, workflow_id=workflow.id)
        if current.status is WorkflowStatus.PROCESSING:
            return workflow.id, current.active_job_id or "", worker
        started.wait(0.02)
    raise AssertionError("the regeneration did not start")


def test_every_change_but_cancel_is_refused_while_a_job_runs_naming_the_job(service):
    workflow_id, job_id, worker = _regenerating(service)
    before = service.get_workflow(user_id=USER, workflow_id=workflow_id)
    attempts = {
        "review": lambda: service.review_frames(user_id=USER, workflow_id=workflow_id, reviews=[FrameReview(1, True)]),
        "restore": lambda: service.restore_frame_version(user_id=USER, workflow_id=workflow_id, frame_number=1, version=1),
        "regenerate": lambda: service.regenerate_frames(user_id=USER, workflow_id=workflow_id, frame_numbers=[1]),
        "frames": lambda: service.generate_frames(user_id=USER, workflow_id=workflow_id),
        "video": lambda: service.generate_video(user_id=USER, workflow_id=workflow_id),
        "refine": lambda: service.refine_prompt(user_id=USER, workflow_id=workflow_id),
        "delete": lambda: service.delete_workflow(user_id=USER, workflow_id=workflow_id),
        "hard delete": lambda: service.delete_workflow(user_id=USER, workflow_id=workflow_id, hard=True),
    }
    for name, attempt in attempts.items():
        with pytest.raises(BusyError) as refused:
            attempt()
        assert refused.value.job_id == job_id and job_id in refused.value.message, name
    assert service.get_workflow(user_id=USER, workflow_id=workflow_id).version == before.version, "nothing was written"

    canceled = service.cancel_generation(user_id=USER, workflow_id=workflow_id)
    assert canceled.status is WorkflowStatus.FAILED and canceled.active_job_id is None
    service.review_frames(user_id=USER, workflow_id=workflow_id, reviews=[FrameReview(1, True)])
    worker.join(timeout=10)
    assert not worker.is_alive(), "the canceled job's worker finished"


def _closing_job(service, workflow_id: str, *, lapsed: bool = False):
    """A job that wrote its workflow's last change but has not closed its own record yet (still RUNNING)."""
    job, _ = service.jobs.store.create(
        workflow_id=workflow_id,
        user_id=USER,
        kind=JobKind.REGENERATE_FRAMES,
        params={"frameNumbers": [1]},
        job_id="closing-job",
        claimed_by="worker-closing-it",
    )
    if lapsed:  # its worker died before closing it
        service.jobs.store.collection.update_one({"_id": job.id}, {"$set": {"leaseExpiresAt": utc_now() - timedelta(1)}})
    return job


@pytest.fixture
def reviewed(make_service):
    """A fast service and a workflow with frame 1 rejected, free for a regeneration."""
    service = make_service(scripted_registry(ScriptedRefiner(), ScriptedFrameGenerator(), ScriptedVideoGenerator()))
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
    service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(1, False, "x")])
    return service, workflow.id


def test_the_next_job_waits_for_a_finished_job_to_close_its_record_so_two_are_never_open(reviewed):
    service, workflow_id = reviewed
    closing = _closing_job(service, workflow_id)
    closer = threading.Timer(0.3, service.jobs.store.finish, args=(closing,), kwargs={"status": JobStatus.SUCCEEDED})
    closer.start()
    started = service.regenerate_frames(user_id=USER, workflow_id=workflow_id, frame_numbers=[1])
    closer.join()

    old, new = service.jobs.store.get(closing.id), service.jobs.store.for_workflow(workflow_id)[-1]
    assert new.id != closing.id and started.status is WorkflowStatus.WAITING_USER_INPUT
    assert old.finished_at is not None and new.created_at >= old.finished_at, "the next job was recorded first"


def test_a_job_that_never_closes_its_record_gets_a_409_naming_it(reviewed, monkeypatch):
    service, workflow_id = reviewed
    monkeypatch.setattr(control, "CLOSING_JOB_WAIT_SECONDS", 0.2)
    _closing_job(service, workflow_id)
    before = service.get_workflow(user_id=USER, workflow_id=workflow_id).version

    with pytest.raises(BusyError, match="closing-job is still closing") as refused:
        service.regenerate_frames(user_id=USER, workflow_id=workflow_id, frame_numbers=[1])

    assert refused.value.job_id == "closing-job"
    assert service.get_workflow(user_id=USER, workflow_id=workflow_id).version == before, "nothing was written"


def test_a_job_whose_worker_died_does_not_hold_the_next_start(reviewed, monkeypatch):
    service, workflow_id = reviewed
    monkeypatch.setattr(control, "CLOSING_JOB_WAIT_SECONDS", 30)  # would time the test out if it waited
    _closing_job(service, workflow_id, lapsed=True)

    started = service.regenerate_frames(user_id=USER, workflow_id=workflow_id, frame_numbers=[1])

    assert started.status is WorkflowStatus.WAITING_USER_INPUT and started.generated_frames[1].version == 2


def test_a_cancel_between_a_starts_two_writes_cancels_the_job_it_records_next(reviewed):
    service, workflow_id = reviewed
    # The start has marked the workflow as running "starting-job", and records the job 0.3 s later.
    service.repository.collection.update_one(
        {"_id": workflow_id}, {"$set": {"status": "PROCESSING", "activeJobId": "starting-job"}, "$inc": {"version": 1}}
    )
    recorder = threading.Timer(
        0.3,
        service.jobs.store.create,
        kwargs={
            "workflow_id": workflow_id,
            "user_id": USER,
            "kind": JobKind.REGENERATE_FRAMES,
            "params": {"frameNumbers": [1]},
            "job_id": "starting-job",
            "claimed_by": "the-starting-request",
        },
    )
    recorder.start()

    canceled = service.cancel_generation(user_id=USER, workflow_id=workflow_id)
    recorder.join()

    assert canceled.status is WorkflowStatus.FAILED and canceled.active_job_id is None
    assert service.jobs.store.get("starting-job").status is JobStatus.CANCELED, "it would run beside the next job"
