"""The workflow state machine as an explicit transition table. Pure: no I/O.

Flow (the spec's diagram):

    INITIAL_PROMPT --refine--> PROMPT_REFINEMENT --refine with notes--> ADDITIONAL_INFO
          (refine again from either, up to the cap)
    PROMPT_REFINEMENT | ADDITIONAL_INFO --generate frames--> FRAME_GENERATION --> FRAME_REVIEW
    FRAME_REVIEW --review / regenerate / restore a version--> FRAME_REVIEW
    FRAME_REVIEW (all frames approved) --generate video--> VIDEO_GENERATION --> COMPLETED
    VIDEO_GENERATION (failed or canceled) --reopen frames--> FRAME_REVIEW
    COMPLETED --go back to the frames (a stakeholder's feedback is used)--> FRAME_REVIEW (the video is kept)

A failed step leaves the workflow at that step with status FAILED; the same action is
allowed again from there, so FAILED is never a dead end.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.core.errors import InvalidTransitionError
from services.workflows.domain import WorkflowStep


class WorkflowAction(StrEnum):
    REFINE_PROMPT = "REFINE_PROMPT"
    GENERATE_FRAMES = "GENERATE_FRAMES"
    REVIEW_FRAMES = "REVIEW_FRAMES"
    REGENERATE_FRAMES = "REGENERATE_FRAMES"
    RESTORE_FRAME_VERSION = "RESTORE_FRAME_VERSION"
    GENERATE_VIDEO = "GENERATE_VIDEO"
    REOPEN_FRAMES = "REOPEN_FRAMES"  # back to frame review: after a failed video, or to use review-link feedback


@dataclass(frozen=True)
class Transition:
    """Where an action may start, the step it works in, and where it lands on success."""

    allowed_from: frozenset[WorkflowStep]
    working_step: WorkflowStep
    success_step: WorkflowStep


S = WorkflowStep
TRANSITIONS: dict[WorkflowAction, Transition] = {
    WorkflowAction.REFINE_PROMPT: Transition(
        frozenset({S.INITIAL_PROMPT, S.PROMPT_REFINEMENT, S.ADDITIONAL_INFO}),
        working_step=S.PROMPT_REFINEMENT,
        success_step=S.PROMPT_REFINEMENT,  # ADDITIONAL_INFO when the round carried notes
    ),
    WorkflowAction.GENERATE_FRAMES: Transition(
        frozenset({S.PROMPT_REFINEMENT, S.ADDITIONAL_INFO, S.FRAME_GENERATION}),
        working_step=S.FRAME_GENERATION,
        success_step=S.FRAME_REVIEW,
    ),
    WorkflowAction.REVIEW_FRAMES: Transition(
        frozenset({S.FRAME_REVIEW}), working_step=S.FRAME_REVIEW, success_step=S.FRAME_REVIEW
    ),
    WorkflowAction.REGENERATE_FRAMES: Transition(
        frozenset({S.FRAME_REVIEW}), working_step=S.FRAME_REVIEW, success_step=S.FRAME_REVIEW
    ),
    WorkflowAction.RESTORE_FRAME_VERSION: Transition(
        frozenset({S.FRAME_REVIEW}), working_step=S.FRAME_REVIEW, success_step=S.FRAME_REVIEW
    ),
    WorkflowAction.GENERATE_VIDEO: Transition(
        frozenset({S.FRAME_REVIEW, S.VIDEO_GENERATION}),
        working_step=S.VIDEO_GENERATION,
        success_step=S.COMPLETED,
    ),
    # Back to Frames after a video that failed or was canceled, or after a finished one when a stakeholder's feedback
    # is used: review, regenerate or restore before rendering again (a finished workflow keeps its video meanwhile).
    WorkflowAction.REOPEN_FRAMES: Transition(
        frozenset({S.VIDEO_GENERATION, S.COMPLETED}), working_step=S.FRAME_REVIEW, success_step=S.FRAME_REVIEW
    ),
}

ACTION_LABELS = {
    WorkflowAction.REFINE_PROMPT: "refine the prompt",
    WorkflowAction.GENERATE_FRAMES: "generate frames",
    WorkflowAction.REVIEW_FRAMES: "review frames",
    WorkflowAction.REGENERATE_FRAMES: "regenerate frames",
    WorkflowAction.RESTORE_FRAME_VERSION: "restore an earlier frame version",
    WorkflowAction.GENERATE_VIDEO: "generate the video",
    WorkflowAction.REOPEN_FRAMES: "go back to the frames",
}


def allowed_actions(step: WorkflowStep) -> list[WorkflowAction]:
    """Every action the table allows at this step, in workflow order."""
    return [action for action, transition in TRANSITIONS.items() if step in transition.allowed_from]


def check_transition(step: WorkflowStep, action: WorkflowAction) -> Transition:
    """The transition for this action, or an error naming the step and what is allowed next."""
    transition = TRANSITIONS[action]
    if step in transition.allowed_from:
        return transition
    allowed = [ACTION_LABELS[a] for a in allowed_actions(step)]
    next_steps = ", ".join(allowed) if allowed else "nothing: the workflow is finished"
    raise InvalidTransitionError(
        f"Cannot {ACTION_LABELS[action]} while the workflow is at step {step.value}. Allowed next: {next_steps}."
    )
