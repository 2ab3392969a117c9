"""Starting a step on a workflow: frames, review, regeneration, restores and the video.

Each start is one conditional write that checks the state machine, the caps and that nothing runs; the long
steps then run as durable jobs, recorded before any provider call and charged only once they have started.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime

from services.core import metrics
from services.core.settings import Settings
from services.core.validation import check_int_range, clean_text
from services.jobs.control import JobControl
from services.jobs.store import JobKind
from services.providers.catalog import check_frame, plan_video
from services.providers.registry import ModelRegistry, ResolvedModel
from services.workflows import rules
from services.workflows.domain import VideoWorkflow, WorkflowStep
from services.workflows.frame_planning import frame_size
from services.workflows.rules import FrameReview
from services.workflows.state_machine import WorkflowAction
from services.workflows.usage import FRAMES, VIDEO, ChargeOnStart, UsageLimits
from services.workflows.writer import WorkflowWriter

# The steps a workflow is in before its first storyboard (the metric counts refinement rounds per storyboard).
BEFORE_FIRST_STORYBOARD = (WorkflowStep.PROMPT_REFINEMENT, WorkflowStep.ADDITIONAL_INFO)


class StepStarts:
    """Frames, review, regeneration and video, each started under the state machine and the usage limits."""

    def __init__(
        self,
        *,
        writer: WorkflowWriter,
        control: JobControl,
        models: ModelRegistry,
        settings: Settings,
        clock: Callable[[], datetime],
        limits: UsageLimits | None,
    ) -> None:
        self.writer, self.control, self.models, self.settings, self.clock = writer, control, models, settings, clock
        self.limits = limits  # None: unlimited

    def generate_frames(
        self,
        *,
        user_id: str,
        workflow_id: str,
        frame_count: int | None = None,
        model: str | None = None,
        key_id: str | None = None,
    ) -> VideoWorkflow:
        """Generate the storyboard key frames in parallel; a retry makes only the missing ones."""
        count = frame_count if frame_count is not None else self.settings.DEFAULT_FRAME_COUNT
        check_int_range(count, field="Frame count", minimum=1, maximum=self.settings.MAX_FRAME_COUNT)
        current = self.writer.get(user_id=user_id, workflow_id=workflow_id)
        generator = self.models.frame_generator(model or current.model_selections.frames)
        if generator.spec is not None:
            width, height = frame_size(current.metadata.aspect_ratio)
            check_frame(generator.spec, width=width, height=height, aspect_ratio=current.metadata.aspect_ratio)
        job_id = new_job_id()

        def start(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)  # first: a running job is named, whatever else is wrong
            rules.check_can_generate_frames(workflow)
            self.writer.begin(workflow, WorkflowAction.GENERATE_FRAMES, job_id)
            workflow.model_selections.frames = generator.model_id
            rules.start_frame_plan(workflow, frame_count=count, seed=random.SystemRandom().randrange(1, 2**31))

        with self._charge_on_start(FRAMES, user_id, key_id, workflow_id, job_id) as usage:
            started = self.control.start_job(
                user_id,
                workflow_id,
                usage.guard(start),
                job_id=job_id,
                kind=JobKind.GENERATE_FRAMES,
                params={"frameCount": count, "model": generator.model_id, **_requested(generator)},
            )
        if current.current_step in BEFORE_FIRST_STORYBOARD:  # the prompt's first storyboard, not a retry or a replay
            metrics.storyboard_started(refinement_rounds=len(current.refinement_iterations))
        return started

    def review_frames(self, *, user_id: str, workflow_id: str, reviews: list[FrameReview]) -> VideoWorkflow:
        """Approve or reject frames, with feedback; framesApproved once all are approved."""
        limit = self.settings.MAX_NOTES_LENGTH
        cleaned = [
            FrameReview(
                r.frame_number,
                r.approved,
                clean_text(r.feedback, field=f"Feedback for frame {r.frame_number}", max_length=limit, required=False),
            )
            for r in reviews
        ]

        def review(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)  # in the same conditional write: a job starting meanwhile makes this retry
            rules.apply_reviews(workflow, cleaned, now=self.clock())

        reviewed = self.writer.update(user_id, workflow_id, review)
        metrics.frames_reviewed(review.approved for review in cleaned)
        return reviewed

    def regenerate_frames(
        self,
        *,
        user_id: str,
        workflow_id: str,
        frame_numbers: list[int],
        key_id: str | None = None,
    ) -> VideoWorkflow:
        """Regenerate only the listed (rejected) frames, folding in their feedback, with the same model."""
        job_id = new_job_id()

        def start(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)  # first: a running job is named, whatever else is wrong
            rules.check_can_regenerate(workflow, frame_numbers)
            self.writer.begin(workflow, WorkflowAction.REGENERATE_FRAMES, job_id)

        with self._charge_on_start(FRAMES, user_id, key_id, workflow_id, job_id) as usage:  # counts as frames
            return self.control.start_job(
                user_id,
                workflow_id,
                usage.guard(start),
                job_id=job_id,
                kind=JobKind.REGENERATE_FRAMES,
                params={"frameNumbers": sorted(set(frame_numbers))},
            )

    def restore_frame_version(self, *, user_id: str, workflow_id: str, frame_number: int, version: int) -> VideoWorkflow:
        """Make an earlier version of a frame current again (it then needs review)."""

        def restore(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)
            rules.restore_frame_version(workflow, frame_number, version, now=self.clock())

        return self.writer.update(user_id, workflow_id, restore)

    def reopen_frames(self, *, user_id: str, workflow_id: str) -> VideoWorkflow:
        """Back to Frames after a failed or canceled video, or a finished one: frames can be reviewed and redone."""
        return self.writer.update(
            user_id, workflow_id, lambda w: rules.reopen_frames(w, now=self.clock(), stale_after=self.writer.stale_after)
        )

    def generate_video(
        self,
        *,
        user_id: str,
        workflow_id: str,
        model: str | None = None,
        duration: int | None = None,
        fps: int | None = None,
        key_id: str | None = None,
    ) -> VideoWorkflow:
        """Render the final video from the approved frames."""
        s = self.settings
        current = self.writer.get(user_id=user_id, workflow_id=workflow_id)
        seconds = duration if duration is not None else current.metadata.duration
        rate = fps if fps is not None else s.DEFAULT_VIDEO_FPS
        check_int_range(seconds, field="Duration", minimum=1, maximum=s.MAX_VIDEO_DURATION, unit="seconds")
        check_int_range(rate, field="FPS", minimum=s.MIN_VIDEO_FPS, maximum=s.MAX_VIDEO_FPS, unit="frames per second")
        generator = self.models.video_generator(model or current.model_selections.video)
        clips = 1
        if generator.spec is not None:  # plan the clips, or refuse, before anything is sent
            clips = len(
                plan_video(generator.spec, seconds=seconds, fps=rate, aspect_ratio=current.metadata.aspect_ratio).clips
            )
        job_id = new_job_id()

        def start(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)  # first: a running job is named, whatever else is wrong
            rules.check_can_generate_video(workflow)
            self.writer.begin(workflow, WorkflowAction.GENERATE_VIDEO, job_id)
            workflow.model_selections.video = generator.model_id

        with self._charge_on_start(VIDEO, user_id, key_id, workflow_id, job_id) as usage:
            return self.control.start_job(
                user_id,
                workflow_id,
                usage.guard(start),
                job_id=job_id,
                kind=JobKind.GENERATE_VIDEO,
                params={
                    "model": generator.model_id,
                    "duration": seconds,
                    "fps": rate,
                    "clips": clips,
                    **_requested(generator),
                },
            )

    def _charge_on_start(
        self, operation: str, user_id: str, key_id: str | None, workflow_id: str, job_id: str
    ) -> ChargeOnStart:
        """Charge the operation once its start passes every check; refund unless the job was recorded."""

        def started() -> bool:
            if any(job.id == job_id for job in self.control.jobs.store.for_workflow(workflow_id)):
                return True
            current = self.writer.repository.get(workflow_id)
            return current is not None and current.active_job_id == job_id

        return ChargeOnStart(self.limits, operation, user_id=user_id, key_id=key_id, started=started)


def _requested(model: ResolvedModel) -> dict[str, str]:
    """The job parameter naming the retired id that was asked for, when its successor runs (else nothing)."""
    return {"requestedModel": model.requested_id} if model.requested_id else {}


def new_job_id() -> str:
    """A fresh job id, chosen before the workflow is marked as processing under it."""
    return uuid.uuid4().hex
