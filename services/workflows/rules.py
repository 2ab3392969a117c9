"""Pure rules that move a workflow from one state to the next. No I/O.

Each function takes a workflow (a fresh copy loaded by the service), checks the rule, and
mutates it in place. The service re-runs them on fresh data when it loses a write race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.core.errors import BusyError, InvalidTransitionError, LimitReachedError, ValidationError
from services.workflows.domain import (
    FrameVersion,
    GeneratedFrame,
    RefinementIteration,
    VideoOutput,
    VideoWorkflow,
    WorkflowError,
    WorkflowStatus,
    WorkflowStep,
)
from services.workflows.state_machine import WorkflowAction, check_transition


@dataclass(frozen=True)
class FrameReview:
    frame_number: int
    approved: bool
    feedback: str | None = None


def ensure_not_busy(workflow: VideoWorkflow, *, now: datetime, stale_after: timedelta) -> None:
    """Refuse any change while a generation runs (cancel excepted); a long-stale PROCESSING is taken as crashed."""
    if workflow.status is WorkflowStatus.PROCESSING and now - workflow.last_activity < stale_after:
        job = workflow.active_job_id
        running = f"Generation job {job}" if job else "A prompt refinement"
        raise BusyError(
            f"{running} is already running on this workflow (step {workflow.current_step.value}). "
            "Wait for it to finish or cancel it, then try again.",
            job_id=job,
        )


def begin(
    workflow: VideoWorkflow, action: WorkflowAction, *, now: datetime, stale_after: timedelta, job_id: str | None = None
) -> None:
    """Check the action is allowed now and mark the workflow as processing it (under job_id)."""
    ensure_not_busy(workflow, now=now, stale_after=stale_after)
    transition = check_transition(workflow.current_step, action)
    workflow.current_step = transition.working_step
    workflow.status = WorkflowStatus.PROCESSING
    workflow.active_job_id = job_id
    workflow.last_activity = now


def check_can_refine(workflow: VideoWorkflow) -> None:
    """Refinement needs a round left under the workflow's cap."""
    check_transition(workflow.current_step, WorkflowAction.REFINE_PROMPT)
    cap = workflow.limits.max_refinement_iterations
    if len(workflow.refinement_iterations) >= cap:
        raise LimitReachedError(
            f"This workflow has used all {cap} prompt refinement rounds (MAX_REFINEMENT_ITERATIONS={cap}). "
            "Continue to frames with the current prompt, or start a new workflow."
        )


def complete_refinement(workflow: VideoWorkflow, iteration: RefinementIteration, *, now: datetime) -> None:
    """Append the round, make it the final prompt and wait for the user."""
    workflow.refinement_iterations.append(iteration)
    workflow.final_refined_prompt = iteration.refined_prompt
    workflow.current_step = WorkflowStep.ADDITIONAL_INFO if iteration.additional_info else WorkflowStep.PROMPT_REFINEMENT
    workflow.status = WorkflowStatus.WAITING_USER_INPUT
    workflow.active_job_id = None
    workflow.last_activity = now


def check_can_generate_frames(workflow: VideoWorkflow) -> None:
    """Frames need a refined prompt."""
    check_transition(workflow.current_step, WorkflowAction.GENERATE_FRAMES)
    if not workflow.final_refined_prompt:
        raise ValidationError("Refine the prompt at least once before generating frames.")


def start_frame_plan(workflow: VideoWorkflow, *, frame_count: int, seed: int) -> list[int]:
    """Fix the plan; returns the frame numbers still to generate (missing ones on a retry)."""
    if workflow.planned_frame_count != frame_count:
        workflow.generated_frames = []
        workflow.planned_frame_count = frame_count
        workflow.frame_seed = seed
    done = {frame.frame_number for frame in workflow.generated_frames}
    return [number for number in range(frame_count) if number not in done]  # frames are numbered from 0, as in the spec


def add_generated_frame(workflow: VideoWorkflow, frame: GeneratedFrame, *, now: datetime) -> None:
    """Store one finished frame as it completes, so a later failure keeps it."""
    workflow.generated_frames = [f for f in workflow.generated_frames if f.frame_number != frame.frame_number]
    workflow.generated_frames.append(frame)
    workflow.generated_frames.sort(key=lambda f: f.frame_number)
    workflow.frames_approved = False
    workflow.last_activity = now


def finish_frames(workflow: VideoWorkflow, *, now: datetime) -> None:
    """All planned frames exist: hand over to the reviewer."""
    workflow.current_step = WorkflowStep.FRAME_REVIEW
    workflow.status = WorkflowStatus.WAITING_USER_INPUT
    workflow.active_job_id = None
    workflow.last_activity = now


def _require_frame(workflow: VideoWorkflow, frame_number: int) -> GeneratedFrame:
    frame = workflow.frame(frame_number)
    if frame is None:
        existing = ", ".join(str(f.frame_number) for f in workflow.generated_frames) or "none"
        raise ValidationError(f"Frame {frame_number} does not exist in this workflow. Frames: {existing}.")
    return frame


def apply_reviews(workflow: VideoWorkflow, reviews: list[FrameReview], *, now: datetime) -> None:
    """Record approve/reject and feedback; framesApproved once every frame is approved."""
    check_transition(workflow.current_step, WorkflowAction.REVIEW_FRAMES)
    if not reviews:
        raise ValidationError("Send at least one frame review.")
    frames = [_require_frame(workflow, review.frame_number) for review in reviews]
    for frame, review in zip(frames, reviews, strict=True):
        frame.approved = review.approved
        frame.feedback = review.feedback or None
        if review.approved:
            workflow.frame_reviews.approved += 1
        else:
            workflow.frame_reviews.rejected += 1
    workflow.frames_approved = bool(workflow.generated_frames) and all(f.approved for f in workflow.generated_frames)
    workflow.status = WorkflowStatus.WAITING_USER_INPUT
    workflow.last_activity = now


def check_can_regenerate(workflow: VideoWorkflow, frame_numbers: list[int]) -> list[GeneratedFrame]:
    """Only existing, not-approved frames under the per-frame cap can be regenerated."""
    check_transition(workflow.current_step, WorkflowAction.REGENERATE_FRAMES)
    if not frame_numbers:
        raise ValidationError("Choose at least one frame to regenerate.")
    frames = [_require_frame(workflow, number) for number in sorted(set(frame_numbers))]
    approved = [str(f.frame_number) for f in frames if f.approved]
    if approved:
        raise ValidationError(
            f"Frame {', '.join(approved)} is approved, and approved frames are never regenerated. "
            "Reject it first if you want a new version."
        )
    cap = workflow.limits.max_frame_regenerations
    capped = [str(f.frame_number) for f in frames if f.regeneration_count >= cap]
    if capped:
        raise LimitReachedError(
            f"Frame {', '.join(capped)} has been regenerated {cap} times, the cap "
            f"(MAX_FRAME_REGENERATIONS={cap}). Approve it, or restore an earlier version."
        )
    return frames


def replace_frame(workflow: VideoWorkflow, new_frame: GeneratedFrame, *, now: datetime) -> None:
    """Swap in a regenerated frame; the old one goes into its history."""
    old = _require_frame(workflow, new_frame.frame_number)
    _make_newest_version(old, new_frame)
    new_frame.regeneration_count = old.regeneration_count + 1
    add_generated_frame(workflow, new_frame, now=now)


def _make_newest_version(old: GeneratedFrame, new_frame: GeneratedFrame) -> None:
    """new_frame becomes the frame's newest version, with the current one added to the history, in version order.

    Newest, not current + 1: after a restore the current version is an earlier one, and current + 1 would give
    a later version's number a second time (a restore of that number then lost one of the two).
    """
    new_frame.history = sorted([*old.history, _as_version(old)], key=lambda v: v.version)
    new_frame.version = new_frame.history[-1].version + 1


def _as_version(frame: GeneratedFrame) -> FrameVersion:
    return FrameVersion(
        version=frame.version,
        prompt=frame.prompt,
        image_key=frame.image_key,
        model=frame.model,
        provider=frame.provider,
        seed=frame.seed,
        feedback=frame.feedback,
        generated_at=frame.generated_at,
        lab_comparison_id=frame.lab_comparison_id,
    )


def restore_frame_version(workflow: VideoWorkflow, frame_number: int, version: int, *, now: datetime) -> None:
    """Make an earlier version current again; the current one joins the history."""
    check_transition(workflow.current_step, WorkflowAction.RESTORE_FRAME_VERSION)
    frame = _require_frame(workflow, frame_number)
    earlier = next((v for v in frame.history if v.version == version), None)
    if earlier is None:
        known = ", ".join(str(v.version) for v in frame.history) or "none"
        raise ValidationError(f"Frame {frame_number} has no earlier version {version}. Earlier versions: {known}.")
    frame.history = [v for v in frame.history if v.version != version] + [_as_version(frame)]
    frame.history.sort(key=lambda v: v.version)
    frame.prompt, frame.image_key, frame.model = earlier.prompt, earlier.image_key, earlier.model
    frame.provider, frame.seed, frame.generated_at = earlier.provider, earlier.seed, earlier.generated_at
    frame.version, frame.feedback, frame.approved = earlier.version, None, False
    frame.lab_comparison_id = earlier.lab_comparison_id
    workflow.frames_approved = False
    workflow.last_activity = now


def reopen_frames(workflow: VideoWorkflow, *, now: datetime, stale_after: timedelta) -> None:
    """Back to reviewing the frames after a video that failed or was canceled, or after a finished one (stakeholder
    feedback to act on: the video stays until a new one replaces it); the frames stay as they are."""
    ensure_not_busy(workflow, now=now, stale_after=stale_after)
    check_transition(workflow.current_step, WorkflowAction.REOPEN_FRAMES)
    workflow.current_step = WorkflowStep.FRAME_REVIEW
    workflow.status = WorkflowStatus.WAITING_USER_INPUT
    workflow.active_job_id = None
    workflow.last_activity = now


def check_can_generate_video(workflow: VideoWorkflow) -> None:
    """The video needs every frame approved."""
    check_transition(workflow.current_step, WorkflowAction.GENERATE_VIDEO)
    if not workflow.frames_approved:
        pending = [str(f.frame_number) for f in workflow.generated_frames if not f.approved]
        raise InvalidTransitionError(  # a step not allowed yet: 409, as in the spec's own example
            f"Approve every frame before generating the video. Not yet approved: frame {', '.join(pending)}."
        )


def attach_video(workflow: VideoWorkflow, video: VideoOutput, *, now: datetime) -> None:
    """The finished video: the workflow is complete."""
    workflow.video_output = video
    workflow.current_step = WorkflowStep.COMPLETED
    workflow.status = WorkflowStatus.COMPLETED
    workflow.active_job_id = None
    workflow.last_activity = now


def finish_without_change(workflow: VideoWorkflow, *, now: datetime) -> None:
    """A regeneration round ended: back to waiting for the reviewer."""
    workflow.status = WorkflowStatus.WAITING_USER_INPUT
    workflow.active_job_id = None
    workflow.last_activity = now


def record_failure(
    workflow: VideoWorkflow, *, step: WorkflowStep, message: str, provider: str | None, now: datetime
) -> None:
    """Note the failure; everything done so far stays, and the step can be retried."""
    workflow.errors.append(WorkflowError(step=step, message=message, provider=provider, occurred_at=now))
    workflow.current_step = step
    workflow.status = WorkflowStatus.FAILED
    workflow.active_job_id = None
    workflow.last_activity = now


def adopt_frame(workflow: VideoWorkflow, new_frame: GeneratedFrame, *, now: datetime) -> None:
    """A frame rendered elsewhere (the Prompt Lab) becomes the frame's next version; the current one joins its history."""
    check_transition(workflow.current_step, WorkflowAction.RESTORE_FRAME_VERSION)  # versions change only in review
    old = _require_frame(workflow, new_frame.frame_number)
    _make_newest_version(old, new_frame)
    new_frame.regeneration_count = old.regeneration_count  # an adoption is not a regeneration round
    add_generated_frame(workflow, new_frame, now=now)


def pick_video(workflow: VideoWorkflow, video: VideoOutput, *, now: datetime) -> None:
    """A rendered variation becomes the workflow's video (the earlier video file is kept)."""
    if not workflow.frames_approved:
        raise ValidationError("Approve every frame before picking a video for this workflow.")
    attach_video(workflow, video, now=now)
