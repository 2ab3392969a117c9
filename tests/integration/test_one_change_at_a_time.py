"""While a generation job runs, every other change is refused with 409 naming the job; cancel is allowed."""

from __future__ import annotations

import contextlib
import threading

import pytest

from services.core.errors import BusyError, StudioError
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


def _regenerating(service) -> tuple[str, str]:
    """A reviewed workflow whose regeneration of frame 1 is running in a background worker; (workflow, job)."""
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

    threading.Thread(target=run, daemon=True).start()
    for _ in range(100):
        current = service.get_workflow(user_id=USER, workflow_id=workflow.id)
        if current.status is WorkflowStatus.PROCESSING:
            return workflow.id, current.active_job_id or ""
        started.wait(0.02)
    raise AssertionError("the regeneration did not start")


def test_every_change_but_cancel_is_refused_while_a_job_runs_naming_the_job(service):
    workflow_id, job_id = _regenerating(service)
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
