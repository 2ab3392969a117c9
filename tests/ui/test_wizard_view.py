"""Which wizard step a workflow opens on: its stored step, or the next one when the user may go there."""

from __future__ import annotations

import pytest

from services.workflows.domain import WorkflowStep
from services.workflows.service import VideoWorkflowService
from tests.conftest import a_brief
from ui.wizard_view import WizardView, wizard_view

S, V = WorkflowStep, WizardView


def test_no_workflow_opens_the_brief():
    assert wizard_view(None, "video") is V.BRIEF


@pytest.mark.parametrize(
    ("step", "refined", "approved", "requested", "expected"),
    [
        (S.INITIAL_PROMPT, False, False, None, V.REFINEMENT),
        (S.INITIAL_PROMPT, False, False, "frames", V.REFINEMENT),  # nothing refined yet: frames must wait
        (S.PROMPT_REFINEMENT, True, False, None, V.REFINEMENT),
        (S.PROMPT_REFINEMENT, True, False, "frames", V.FRAMES),
        (S.ADDITIONAL_INFO, True, False, "frames", V.FRAMES),
        (S.PROMPT_REFINEMENT, True, False, "video", V.REFINEMENT),  # no skipping ahead to the video
        (S.FRAME_GENERATION, True, False, None, V.FRAMES),
        (S.FRAME_REVIEW, True, False, "video", V.FRAMES),  # not every frame approved
        (S.FRAME_REVIEW, True, True, None, V.FRAMES),
        (S.FRAME_REVIEW, True, True, "video", V.VIDEO),
        (S.VIDEO_GENERATION, True, True, None, V.VIDEO),
        (S.COMPLETED, True, True, "frames", V.COMPLETED),
    ],
)
def test_the_step_shown_follows_the_stored_workflow(
    service: VideoWorkflowService, step, refined, approved, requested, expected
):
    workflow = service.create_workflow(user_id="u", brief=a_brief()).model_copy(
        update={
            "current_step": step,
            "final_refined_prompt": "a refined prompt" if refined else None,
            "frames_approved": approved,
        }
    )
    assert wizard_view(workflow, requested) is expected
