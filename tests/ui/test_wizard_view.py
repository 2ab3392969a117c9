"""Which steps a workflow has reached, where it resumes, and what an unreached step asks for first."""

from __future__ import annotations

import pytest

from services.studio.service import VideoWorkflowService
from services.workflows.domain import WorkflowStep
from tests.support.briefs import a_brief
from ui.wizard_view import WizardStep, home_step, prerequisite

S, W = WorkflowStep, WizardStep


def test_without_a_workflow_only_the_brief_is_open():
    assert home_step(None) is W.BRIEF
    assert prerequisite(None, W.BRIEF) is None
    assert all(prerequisite(None, step).step is W.BRIEF for step in (W.REFINE, W.FRAMES, W.VIDEO, W.RESULT))


@pytest.mark.parametrize(
    ("step", "refined", "approved", "video", "home", "open_steps"),
    [
        (S.INITIAL_PROMPT, False, False, False, W.REFINE, {W.BRIEF, W.REFINE}),
        (S.PROMPT_REFINEMENT, True, False, False, W.REFINE, {W.BRIEF, W.REFINE, W.FRAMES}),
        (S.ADDITIONAL_INFO, True, False, False, W.REFINE, {W.BRIEF, W.REFINE, W.FRAMES}),
        (S.FRAME_GENERATION, True, False, False, W.FRAMES, {W.BRIEF, W.REFINE, W.FRAMES}),
        (S.FRAME_REVIEW, True, False, False, W.FRAMES, {W.BRIEF, W.REFINE, W.FRAMES}),
        (S.FRAME_REVIEW, True, True, False, W.FRAMES, {W.BRIEF, W.REFINE, W.FRAMES, W.VIDEO}),
        (S.VIDEO_GENERATION, True, True, False, W.VIDEO, {W.BRIEF, W.REFINE, W.FRAMES, W.VIDEO}),
        (S.COMPLETED, True, True, True, W.RESULT, set(W)),
    ],
)
def test_the_steps_open_follow_the_stored_workflow(
    service: VideoWorkflowService, step, refined, approved, video, home, open_steps
):
    done = service.create_workflow(user_id="u", brief=a_brief())
    workflow = done.model_copy(
        update={
            "current_step": step,
            "final_refined_prompt": "a refined prompt" if refined else None,
            "frames_approved": approved,
            "video_output": object() if video else None,
        }
    )
    assert home_step(workflow) is home
    assert {s for s in W if prerequisite(workflow, s) is None} == open_steps
    for closed in set(W) - open_steps:
        needed = prerequisite(workflow, closed)
        assert needed.step in open_steps, "the link goes to a step the user can open"


def test_the_progress_line_shows_percent_message_and_eta_and_never_queued_once_running():
    from ui.wizard_progress import progress_text

    assert progress_text({"status": "RUNNING", "percent": 40, "message": "Encoding frame 40 of 100", "etaSeconds": 6}) == (
        0.4,
        "40% · Encoding frame 40 of 100 · about 6 s left",
    )
    assert progress_text({"status": "RUNNING", "percent": 0, "message": "Queued", "etaSeconds": None})[1] == (
        "0% · Started; waiting for the first progress report"
    )
    assert progress_text({"status": "QUEUED", "percent": 0, "message": "Queued", "etaSeconds": None})[1].startswith("Queued")
