"""The video job: the approved frames rendered into the final video by the chosen model, then stored."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from services.core import metrics
from services.core.errors import JobCanceledError
from services.core.job_scope import job_part, report_progress
from services.jobs.context import ActiveJob
from services.jobs.job_workflow import owned, workflow_for_job
from services.providers.base import VideoRequest, VideoResult
from services.providers.catalog import plan_video
from services.providers.registry import ModelRegistry
from services.providers.user_messages import safe_message
from services.storage.media_store import MediaStore, video_key
from services.workflows import costs, rules
from services.workflows.domain import VideoOutput, VideoWorkflow, WorkflowStep
from services.workflows.frame_planning import frame_size
from services.workflows.writer import WorkflowWriter


class VideoJob:
    """Runs GENERATE_VIDEO jobs; a resumed one awaits the prediction it already created."""

    def __init__(
        self, *, writer: WorkflowWriter, media: MediaStore, models: ModelRegistry, clock: Callable[[], datetime]
    ) -> None:
        self.writer, self.media, self.models, self.clock = writer, media, models, clock

    def run(self, active: ActiveJob) -> None:
        workflow = workflow_for_job(self.writer, active)
        params = active.job.params
        generator = self.models.video_generator(params["model"])
        width, height = frame_size(workflow.metadata.aspect_ratio)
        scratch = self.media.scratch_path(".mp4")
        active.plan_parts(["video"])
        plan = None
        if generator.spec is not None:
            plan = plan_video(
                generator.spec, seconds=params["duration"], fps=params["fps"], aspect_ratio=workflow.metadata.aspect_ratio
            )

        def render() -> VideoResult:
            request = VideoRequest(
                workflow_id=workflow.id,
                prompt=workflow.final_refined_prompt or "",
                frame_images=tuple(self.media.get_bytes(f.image_key) for f in workflow.generated_frames),
                duration=params["duration"],
                fps=params["fps"],
                width=width,
                height=height,
                model=generator.model_id,
                user_id=workflow.user_id,
                sound=workflow.metadata.sound,
                aspect_ratio=workflow.metadata.aspect_ratio,
                reframe=workflow.metadata.reframe,
                frame_keys=tuple(f.image_key for f in workflow.generated_frames),
            )
            with job_part("video"):
                report_progress(0, 1, f"{generator.model_id} is starting the video")
                return generator.implementation.generate_video(request, scratch)

        started = time.monotonic()
        try:
            result = render()
        except Exception as exc:  # noqa: BLE001 - any provider failure must leave the workflow retryable
            if active.canceled():
                raise JobCanceledError("The video generation was canceled.") from None
            metrics.video_finished(model=generator.model_id, succeeded=False)
            self.models.note_failure(generator.model_id, exc)
            self.writer.fail(
                workflow.user_id,
                workflow.id,
                WorkflowStep.VIDEO_GENERATION,
                generator.provider_name,
                safe_message(generator, exc),
                job_id=active.job.id,
            )
        duration_ms = int(1000 * (time.monotonic() - started))
        key = video_key(workflow.id)
        size = result.path.stat().st_size
        self.media.put_file(key, result.path, owner=workflow.user_id)
        provider = result.provider or generator.provider_name
        sound = workflow.metadata.sound and generator.spec is not None and generator.spec.sound
        cost = 0.0 if provider == "offline" else costs.video_actual(generator.spec, params["duration"], sound=sound)
        output = VideoOutput(
            video_key=key,
            model=generator.model_id,
            requested_model=params.get("requestedModel"),
            sound=sound,
            provider=provider,
            duration=params["duration"],
            fps=params["fps"],
            width=width,
            height=height,
            frame_count=result.frame_count,
            size_bytes=size,
            generated_at=self.clock(),
            clips=params.get("clips", 1),
            final_prompt=workflow.final_refined_prompt or "",
            model_fps=plan.model_fps if plan is not None else params["fps"],
            aspect_ratio=workflow.metadata.aspect_ratio,
            model_aspect_ratio=plan.model_aspect_ratio if plan is not None else workflow.metadata.aspect_ratio,
            reframe=workflow.metadata.reframe if plan is not None and plan.reframed else None,
            cost_usd=cost,
            duration_ms=duration_ms,
        )

        def attach(w: VideoWorkflow) -> None:
            costs.add_cost(w, cost)
            rules.attach_video(w, output, now=self.clock())

        completed = self.writer.update(workflow.user_id, workflow.id, owned(active, attach))
        metrics.generation_timed(step="video", model=generator.model_id, seconds=duration_ms / 1000)
        metrics.video_finished(model=generator.model_id, succeeded=True)
        active.mark_done("video")
        self.writer.notify(completed, "workflow.completed", step=WorkflowStep.VIDEO_GENERATION)
