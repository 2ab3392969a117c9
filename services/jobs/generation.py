"""Which job runs a job kind: frames, regeneration, video, and the steps other capabilities register."""

from __future__ import annotations

from collections.abc import Callable

from services.core.log_setup import bound
from services.jobs.context import ActiveJob
from services.jobs.frame_jobs import FrameJobs
from services.jobs.store import JobKind
from services.jobs.video_job import VideoJob

JobStep = Callable[[ActiveJob], None]


class GenerationSteps:
    """Runs (or resumes) a claimed job by its kind."""

    def __init__(self, *, frames: FrameJobs, video: VideoJob, extra_steps: dict[JobKind, JobStep] | None = None) -> None:
        self.frames = frames
        self.video = video
        # Shared, not copied: a twin of the service (without_limits) runs the same registered steps.
        self.extra_steps = extra_steps if extra_steps is not None else {}

    def register(self, kind: JobKind, step: JobStep) -> None:
        """Run jobs of kind with step (the Prompt Lab's video variations run on the same workers)."""
        self.extra_steps[kind] = step

    def execute_job(self, active: ActiveJob) -> None:
        """Run (or resume) the job's step for its workflow."""
        steps: dict[JobKind, JobStep] = {
            JobKind.GENERATE_FRAMES: self.frames.generate,
            JobKind.REGENERATE_FRAMES: self.frames.regenerate,
            JobKind.GENERATE_VIDEO: self.video.run,
            **self.extra_steps,
        }
        with bound(workflow_id=active.job.workflow_id, job_id=active.job.id):  # on every log line of the job
            steps[active.job.kind](active)
