"""The wizard's five steps and which of them a workflow has reached. Pure: derived from the stored workflow."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from services.workflows.domain import GeneratedFrame, VideoWorkflow, WorkflowStatus, WorkflowStep
from services.workflows.state_machine import WorkflowAction, allowed_actions
from services.workflows.usage import Quota

REFINE_PAGE_STEPS = {WorkflowStep.INITIAL_PROMPT, WorkflowStep.PROMPT_REFINEMENT, WorkflowStep.ADDITIONAL_INFO}
FRAME_STEPS = {WorkflowStep.FRAME_GENERATION, WorkflowStep.FRAME_REVIEW}


class WizardStep(StrEnum):
    """One wizard page; the value is its url_path (and the dialog's `step` URL parameter)."""

    BRIEF = "brief"
    REFINE = "refine"
    FRAMES = "frames"
    VIDEO = "video"
    RESULT = "result"

    @property
    def label(self) -> str:
        """The step's name, as the navigation and the progress bar show it."""
        return STEP_TITLES[self]

    @property
    def number(self) -> int:
        """1-based position among the steps."""
        return WIZARD_STEPS.index(self) + 1

    @property
    def page(self) -> str:
        """The page file, as st.switch_page and st.page_link name it."""
        return f"app_pages/wizard_{self.value}.py"


STEP_TITLES = {
    WizardStep.BRIEF: "Brief",
    WizardStep.REFINE: "Refine",
    WizardStep.FRAMES: "Frames",
    WizardStep.VIDEO: "Video",
    WizardStep.RESULT: "Result",
}
WIZARD_STEPS = list(WizardStep)


@dataclass(frozen=True)
class Prerequisite:
    """What must happen before a step opens, and the step where the user does it."""

    message: str
    step: WizardStep


def home_step(workflow: VideoWorkflow | None) -> WizardStep:
    """The step the workflow is at: where Resume, a bare wizard link and the dialog open it."""
    if workflow is None:
        return WizardStep.BRIEF
    step = workflow.current_step
    if step is WorkflowStep.COMPLETED:
        return WizardStep.RESULT
    if step is WorkflowStep.VIDEO_GENERATION:
        return WizardStep.VIDEO
    if step in FRAME_STEPS:
        return WizardStep.FRAMES
    return WizardStep.REFINE


def prerequisite(workflow: VideoWorkflow | None, step: WizardStep) -> Prerequisite | None:
    """None when the workflow has reached `step`; otherwise what must happen first, at a step the user can open."""
    if step is WizardStep.BRIEF:
        return None
    if workflow is None:
        return Prerequisite(
            "Start with a brief: every later step works on the workflow the brief creates.", WizardStep.BRIEF
        )
    if step is WizardStep.REFINE:
        return None
    if step is WizardStep.FRAMES:
        if workflow.final_refined_prompt:
            return None
        return Prerequisite("Frames are drawn from a refined prompt: refine the brief at least once.", WizardStep.REFINE)
    if step is WizardStep.VIDEO:
        if workflow.frames_approved or workflow.current_step in (WorkflowStep.VIDEO_GENERATION, WorkflowStep.COMPLETED):
            return None
        before = prerequisite(workflow, WizardStep.FRAMES)
        if before is not None:
            return before
        if not workflow.generated_frames:
            return Prerequisite("The video is made from approved frames: generate the frames first.", WizardStep.FRAMES)
        return Prerequisite("The video is made from approved frames: approve every frame first.", WizardStep.FRAMES)
    if workflow.video_output is not None:
        return None
    return prerequisite(workflow, WizardStep.VIDEO) or Prerequisite(
        "The result appears once the video is rendered: generate the video first.", WizardStep.VIDEO
    )


def reached(workflow: VideoWorkflow | None, step: WizardStep) -> bool:
    """True when the workflow may show this step."""
    return prerequisite(workflow, step) is None


def can_refine(workflow: VideoWorkflow) -> bool:
    """The state machine still allows refinement rounds (they stop once frames are being made)."""
    return WorkflowAction.REFINE_PROMPT in allowed_actions(workflow.current_step)


def can_continue_to_frames(workflow: VideoWorkflow) -> bool:
    """Frames can be generated once there is a refined prompt."""
    return bool(workflow.final_refined_prompt) and WorkflowAction.GENERATE_FRAMES in allowed_actions(workflow.current_step)


def can_continue_to_video(workflow: VideoWorkflow) -> bool:
    """The video can be set up once every frame is approved."""
    return workflow.frames_approved and WorkflowAction.GENERATE_VIDEO in allowed_actions(workflow.current_step)


def rejected_frame_numbers(workflow: VideoWorkflow) -> list[int]:
    """Frames the reviewer turned down with feedback; these are the ones to regenerate."""
    return [f.frame_number for f in workflow.generated_frames if not f.approved and f.feedback]


def decision_of(frame: GeneratedFrame) -> str:
    """The stored review decision, in the words the frame card shows."""
    if frame.approved:
        return "Approved"
    return "Rejected" if frame.feedback else "Pending review"


def frame_label(workflow: VideoWorkflow, frame: GeneratedFrame) -> str:
    """ "Frame 2 of 3 · Opening": numbered for people by position, whatever the stored frame number."""
    position = workflow.generated_frames.index(frame) + 1
    total = max(len(workflow.generated_frames), workflow.planned_frame_count)
    return f"Frame {position} of {total} · {frame.scene}"


def latest_failure(workflow: VideoWorkflow) -> str | None:
    """The message of the failure that left the workflow FAILED, if it is."""
    if workflow.status is not WorkflowStatus.FAILED or not workflow.errors:
        return None
    return workflow.errors[-1].message


def kept_after_cancel(workflow: VideoWorkflow, job_kind: str) -> str:
    """What a canceled generation left in place, in a sentence for the user."""
    frames = workflow.generated_frames
    if job_kind == "GENERATE_FRAMES":
        planned = workflow.planned_frame_count or len(frames)
        if not frames:
            return "No frame was finished before the cancel. Generate Frames starts again."
        return f"Kept the {len(frames)} of {planned} frames that were finished; Generate Frames makes only the missing ones."
    if job_kind == "REGENERATE_FRAMES":
        return f"Kept all {len(frames)} frames; frames regenerated before the cancel show their new version."
    approved = sum(1 for f in frames if f.approved)
    return f"Kept your {approved} approved frames; no video was saved. Generate Video starts the render again."


def quota_text(quota: Quota) -> str:
    """'Videos left: 1 (limit 1 per 1 hour).', or when the next one frees up."""
    if quota.remaining > 0:
        return f"Videos left: {quota.remaining} (limit {quota.limit})."
    minutes = max(1, math.ceil(quota.resets_in_seconds / 60))
    return f"No videos left (limit {quota.limit}); the next one frees up in {minutes} min."
