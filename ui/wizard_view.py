"""Which wizard step to show for a workflow. Pure: derived from the stored workflow and the URL."""

from __future__ import annotations

import math
from enum import StrEnum

from services.workflows.domain import VideoWorkflow, WorkflowStep
from services.workflows.state_machine import WorkflowAction, allowed_actions
from services.workflows.usage import Quota

REFINEMENT_STEPS = {WorkflowStep.INITIAL_PROMPT, WorkflowStep.PROMPT_REFINEMENT, WorkflowStep.ADDITIONAL_INFO}


class WizardView(StrEnum):
    BRIEF = "Brief"
    REFINEMENT = "Refinement"
    FRAMES = "Frames"
    VIDEO = "Video settings"
    COMPLETED = "Completed"


WIZARD_STEPS = list(WizardView)
# The `view` query parameter: the user moved on to a step the workflow has not reached in the database yet.
VIEW_FRAMES = "frames"
VIEW_VIDEO = "video"


def can_continue_to_frames(workflow: VideoWorkflow) -> bool:
    """Frames can be generated once there is a refined prompt."""
    return bool(workflow.final_refined_prompt) and WorkflowAction.GENERATE_FRAMES in allowed_actions(workflow.current_step)


def can_continue_to_video(workflow: VideoWorkflow) -> bool:
    """The video can be set up once every frame is approved."""
    return workflow.frames_approved and WorkflowAction.GENERATE_VIDEO in allowed_actions(workflow.current_step)


def wizard_view(workflow: VideoWorkflow | None, requested: str | None = None) -> WizardView:
    """The step to show: the workflow's own step, or the next one when the user asked and may go there."""
    if workflow is None:
        return WizardView.BRIEF
    step = workflow.current_step
    if step is WorkflowStep.COMPLETED:
        return WizardView.COMPLETED
    if step is WorkflowStep.VIDEO_GENERATION:
        return WizardView.VIDEO
    if step is WorkflowStep.FRAME_REVIEW:
        return WizardView.VIDEO if requested == VIEW_VIDEO and can_continue_to_video(workflow) else WizardView.FRAMES
    if step is WorkflowStep.FRAME_GENERATION:
        return WizardView.FRAMES
    return WizardView.FRAMES if requested == VIEW_FRAMES and can_continue_to_frames(workflow) else WizardView.REFINEMENT


def rejected_frame_numbers(workflow: VideoWorkflow) -> list[int]:
    """Frames the reviewer turned down with feedback; these are the ones to regenerate."""
    return [f.frame_number for f in workflow.generated_frames if not f.approved and f.feedback]


def frame_label(workflow: VideoWorkflow, frame_number: int) -> str:
    """'Frame 1 of 3 · Opening': people count from 1, from the frame's position (frames are numbered from 0)."""
    frame = workflow.frame(frame_number)
    scene = f" · {frame.scene}" if frame is not None else ""
    return f"Frame {frame_number + 1} of {max(workflow.planned_frame_count, len(workflow.generated_frames))}{scene}"


def quota_text(quota: Quota) -> str:
    """'Videos left: 1 (limit 1 per 1 hour).', or when the next one frees up."""
    if quota.remaining > 0:
        return f"Videos left: {quota.remaining} (limit {quota.limit})."
    minutes = max(1, math.ceil(quota.resets_in_seconds / 60))
    return f"No videos left (limit {quota.limit}); the next one frees up in {minutes} min."
