"""A failing provider leaves the workflow FAILED at that step, keeps the work done, and can be retried."""

from __future__ import annotations

import pytest

from services.core.errors import ProviderError, StepFailedError
from services.workflows.domain import WorkflowStatus, WorkflowStep
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.fakes import ScriptedFrameGenerator, ScriptedRefiner, ScriptedVideoGenerator, scripted_registry

USER = "user-alice"


@pytest.fixture
def fakes():
    return ScriptedRefiner(), ScriptedFrameGenerator(), ScriptedVideoGenerator()


@pytest.fixture
def service(make_service, fakes):
    return make_service(models=scripted_registry(*fakes))


def test_a_failed_refinement_is_recorded_and_the_retry_continues(service, fakes):
    refiner = fakes[0]
    refiner.enqueue(ProviderError("Poe answered 503: the model is overloaded.", provider="poe", status=503))
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    with pytest.raises(StepFailedError, match="overloaded. You can retry this step"):
        service.refine_prompt(user_id=USER, workflow_id=workflow.id, additional_info="warmer")
    failed = service.get_workflow(user_id=USER, workflow_id=workflow.id)
    assert (failed.status, failed.current_step) == (WorkflowStatus.FAILED, WorkflowStep.PROMPT_REFINEMENT)
    assert [(e.step, e.provider) for e in failed.errors] == [(WorkflowStep.PROMPT_REFINEMENT, "scripted")]
    assert failed.refinement_iterations == []

    retried = service.refine_prompt(user_id=USER, workflow_id=workflow.id, additional_info="warmer")
    assert retried.status is WorkflowStatus.WAITING_USER_INPUT
    assert retried.final_refined_prompt == "refined prompt, round 1"
    assert len(retried.errors) == 1, "the error history stays"


def test_an_empty_refinement_is_never_stored_as_the_prompt(service, fakes):
    fakes[0].enqueue("   ")
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    with pytest.raises(StepFailedError, match="returned an empty prompt"):
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    assert service.get_workflow(user_id=USER, workflow_id=workflow.id).final_refined_prompt is None


def test_when_one_frame_fails_the_finished_frames_are_kept_and_the_retry_makes_only_the_missing_one(service, fakes):
    frames = fakes[1]
    frames.fail_frames = {1}
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    with pytest.raises(StepFailedError, match="Frame 1 could not be generated: the image model is overloaded"):
        service.generate_frames(user_id=USER, workflow_id=workflow.id)
    failed = service.get_workflow(user_id=USER, workflow_id=workflow.id)
    assert (failed.status, failed.current_step) == (WorkflowStatus.FAILED, WorkflowStep.FRAME_GENERATION)
    kept = {f.frame_number: f.image_key for f in failed.generated_frames}
    assert set(kept) == {0, 2}

    frames.fail_frames.clear()
    frames.history.clear()
    done = service.generate_frames(user_id=USER, workflow_id=workflow.id)
    assert [r.frame_number for r in frames.history] == [1], "finished frames are not paid for twice"
    assert done.current_step is WorkflowStep.FRAME_REVIEW
    assert {f.frame_number: f.image_key for f in done.generated_frames if f.frame_number != 1} == kept


def test_a_failed_video_can_be_retried_and_the_frames_stay_approved(service, fakes):
    fakes[2].failures.append(ProviderError("Replicate prediction failed: out of memory", provider="replicate"))
    workflow = service.create_workflow(user_id=USER, brief=a_brief(duration=1))
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=1)
    service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(0, True)])
    with pytest.raises(StepFailedError, match="out of memory"):
        service.generate_video(user_id=USER, workflow_id=workflow.id, fps=12)
    failed = service.get_workflow(user_id=USER, workflow_id=workflow.id)
    assert (failed.status, failed.current_step, failed.frames_approved) == (
        WorkflowStatus.FAILED,
        WorkflowStep.VIDEO_GENERATION,
        True,
    )

    done = service.generate_video(user_id=USER, workflow_id=workflow.id, fps=12)
    assert done.status is WorkflowStatus.COMPLETED and done.video_output.frame_count == 12


def test_an_unexpected_crash_in_a_provider_is_reported_without_internals(service, fakes):
    fakes[0].enqueue(KeyError("choices"))
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    with pytest.raises(StepFailedError, match=r"gpt-4o \(scripted\) failed unexpectedly \(KeyError\)"):
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    assert service.get_workflow(user_id=USER, workflow_id=workflow.id).status is WorkflowStatus.FAILED
