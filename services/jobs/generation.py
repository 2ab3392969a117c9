"""The job functions behind frame generation, regeneration and video generation.

Each runs under an ActiveJob and is safe to run again after a crash: finished frames and parts
are skipped, and a recorded provider prediction is awaited instead of created a second time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

from services.core import metrics
from services.core.errors import JobCanceledError, JobSupersededError, MediaStoreError, ProviderError
from services.core.log_setup import bound
from services.core.settings import Settings
from services.jobs.context import ActiveJob, in_current_context, job_part, report_progress
from services.jobs.store import JobKind
from services.providers.base import FrameRequest, FrameResult, VideoRequest, VideoResult
from services.providers.catalog import plan_video
from services.providers.registry import ModelRegistry, ResolvedModel
from services.storage.media_store import MediaStore, frame_key, video_key
from services.workflows import costs, rules
from services.workflows.domain import GeneratedFrame, VideoOutput, VideoWorkflow, WorkflowStatus, WorkflowStep
from services.workflows.frame_planning import PlannedFrame, frame_size, plan_frames, prompt_with_feedback

if TYPE_CHECKING:
    from services.workflows.service import Mutation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameTask:
    """One frame to draw: its place in the plan, the exact prompt to send, and the model to use."""

    plan: PlannedFrame
    prompt: str
    generator: ResolvedModel


class GenerationSteps:
    """Mixin of VideoWorkflowService: the long-running steps, run as durable jobs."""

    media: MediaStore
    models: ModelRegistry
    settings: Settings
    clock: Callable[[], datetime]
    extra_job_steps: dict[JobKind, Callable[[ActiveJob], None]]

    if TYPE_CHECKING:  # provided by VideoWorkflowService

        def _update(self, user_id: str, workflow_id: str, mutate: Mutation) -> VideoWorkflow: ...
        def _fail(
            self,
            user_id: str,
            workflow_id: str,
            step: WorkflowStep,
            provider: str,
            message: str,
            *,
            job_id: str | None = None,
        ) -> NoReturn: ...
        def get_workflow(self, *, user_id: str, workflow_id: str) -> VideoWorkflow: ...
        def _notify(self, workflow: VideoWorkflow, event_type: str, *, step: WorkflowStep) -> VideoWorkflow: ...

    def execute_job(self, active: ActiveJob) -> None:
        """Run (or resume) the job's step for its workflow."""
        steps = {
            JobKind.GENERATE_FRAMES: self._execute_frames,
            JobKind.REGENERATE_FRAMES: self._execute_regeneration,
            JobKind.GENERATE_VIDEO: self._execute_video,
            **self.extra_job_steps,  # steps other capabilities register (the Prompt Lab's video variations)
        }
        with bound(workflow_id=active.job.workflow_id, job_id=active.job.id):  # on every log line of the job
            steps[active.job.kind](active)

    def _workflow_for(self, active: ActiveJob) -> VideoWorkflow:
        job = active.job
        try:
            workflow = self.get_workflow(user_id=job.user_id, workflow_id=job.workflow_id)
        except Exception as exc:  # noqa: BLE001 - a deleted workflow simply ends its job
            raise JobSupersededError(f"Workflow {job.workflow_id} is gone: {exc}") from None
        if workflow.active_job_id != job.id or workflow.status is not WorkflowStatus.PROCESSING:
            raise JobSupersededError(f"Workflow {job.workflow_id} has moved on from job {job.id}.")
        return workflow

    # ---- frames -----------------------------------------------------------------------------

    def _execute_frames(self, active: ActiveJob) -> None:
        workflow = self._workflow_for(active)
        generator = self.models.frame_generator(active.job.params["model"])
        done = {f.frame_number for f in workflow.generated_frames}
        plans = plan_frames(
            refined_prompt=workflow.final_refined_prompt or "",
            frame_count=workflow.planned_frame_count,
            aspect_ratio=workflow.metadata.aspect_ratio,
            style=workflow.metadata.style,
        )
        tasks = [FrameTask(plan, plan.prompt, generator) for plan in plans if plan.frame_number not in done]
        self._run_frame_tasks(active, workflow, tasks, step=WorkflowStep.FRAME_GENERATION, replacing=False)
        framed = self._update(
            workflow.user_id, workflow.id, _owned(active, lambda w: rules.finish_frames(w, now=self.clock()))
        )
        self._notify(framed, "workflow.step_completed", step=WorkflowStep.FRAME_GENERATION)

    def _execute_regeneration(self, active: ActiveJob) -> None:
        workflow = self._workflow_for(active)
        tasks = []
        for number in active.job.params["frameNumbers"]:
            frame = workflow.frame(number)
            if frame is None or active.is_done(f"frame-{number}"):
                continue
            feedback = [v.feedback for v in frame.history if v.feedback] + [frame.feedback or ""]
            plan = PlannedFrame(frame_number=number, scene=frame.scene, prompt=frame.base_prompt)
            prompt = prompt_with_feedback(frame.base_prompt, feedback)
            tasks.append(FrameTask(plan, prompt, self.models.frame_generator(frame.model)))
        self._run_frame_tasks(active, workflow, tasks, step=WorkflowStep.FRAME_REVIEW, replacing=True)
        regenerated = self._update(
            workflow.user_id, workflow.id, _owned(active, lambda w: rules.finish_without_change(w, now=self.clock()))
        )
        self._notify(regenerated, "workflow.step_completed", step=WorkflowStep.FRAME_REVIEW)

    def _run_frame_tasks(
        self, active: ActiveJob, workflow: VideoWorkflow, tasks: list[FrameTask], *, step: WorkflowStep, replacing: bool
    ) -> None:
        """Generate frames in parallel (bounded); each is stored, and marked done, as soon as it exists."""
        width, height = frame_size(workflow.metadata.aspect_ratio)
        count = workflow.planned_frame_count
        finished, lock = [0], threading.Lock()
        active.plan_parts([f"frame-{task.plan.frame_number}" for task in tasks])

        def one(task: FrameTask) -> None:
            plan, generator = task.plan, task.generator
            request = FrameRequest(
                workflow_id=workflow.id,
                frame_number=plan.frame_number,
                frame_count=count,
                scene=plan.scene,
                prompt=task.prompt,
                width=width,
                height=height,
                seed=workflow.frame_seed + plan.frame_number,
                model=generator.model_id,
                user_id=workflow.user_id,
            )
            part = f"frame-{plan.frame_number}"
            label = f"Frame {plan.frame_number + 1} of {count} · {plan.scene}"
            started = time.monotonic()
            result = self._frame_image(part, generator, request, label)
            duration_ms = int(1000 * (time.monotonic() - started))
            metrics.generation_timed(step="frame", model=generator.model_id, seconds=duration_ms / 1000)
            provider = result.provider or generator.provider_name
            cost = 0.0 if provider == "offline" else costs.frame_actual(generator.spec)
            key = frame_key(workflow.id, plan.frame_number)
            self.media.put_bytes(key, result.image, owner=workflow.user_id)
            frame = GeneratedFrame(
                frame_number=plan.frame_number,
                scene=plan.scene,
                base_prompt=plan.prompt,
                prompt=task.prompt,
                image_key=key,
                width=width,
                height=height,
                model=generator.model_id,
                requested_model=active.job.params.get("requestedModel") if not replacing else None,
                provider=provider,
                seed=request.seed,
                generated_at=self.clock(),
                cost_usd=cost,
                duration_ms=duration_ms,
            )
            store = rules.replace_frame if replacing else rules.add_generated_frame

            def keep(w: VideoWorkflow) -> None:
                costs.add_cost(w, cost)
                store(w, frame.model_copy(deep=True), now=self.clock())

            self._update(workflow.user_id, workflow.id, _owned(active, keep))  # a canceled job's frame is dropped
            with lock:
                finished[0] += 1
                message = f"{label} ready ({finished[0]} of {len(tasks)} frames)"
            active.mark_done(part, message=message)

        if not tasks:
            return
        with ThreadPoolExecutor(max_workers=min(self.settings.FRAME_GENERATION_CONCURRENCY, len(tasks))) as pool:
            futures = [(task, pool.submit(in_current_context(one), task)) for task in tasks]
        failures = [(task, future.exception()) for task, future in futures if future.exception()]
        if failures and active.canceled():
            raise JobCanceledError("The generation was canceled.")
        if failures:
            first, error = failures[0]
            self.models.note_failure(first.generator.model_id, error)
            numbers = ", ".join(str(task.plan.frame_number) for task, _ in failures)
            kept = len(tasks) - len(failures)
            self._fail(
                workflow.user_id,
                workflow.id,
                step,
                first.generator.provider_name,
                f"Frame {numbers} could not be generated: {safe_message(first.generator, error)} "
                f"{kept} finished frame(s) were kept; retry to generate the rest.",
                job_id=active.job.id,
            )

    @staticmethod
    def _frame_image(part: str, generator: ResolvedModel, request: FrameRequest, label: str) -> FrameResult:
        with job_part(part):  # prediction-based providers resume this part's prediction after a crash
            report_progress(0, 1, label)  # what is happening now, before a provider says more
            return generator.implementation.generate_frame(request)

    # ---- video ------------------------------------------------------------------------------

    def _execute_video(self, active: ActiveJob) -> None:
        workflow = self._workflow_for(active)
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
            self._fail(
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

        completed = self._update(workflow.user_id, workflow.id, _owned(active, attach))
        metrics.generation_timed(step="video", model=generator.model_id, seconds=duration_ms / 1000)
        metrics.video_finished(model=generator.model_id, succeeded=True)
        active.mark_done("video")
        self._notify(completed, "workflow.completed", step=WorkflowStep.VIDEO_GENERATION)


def _owned(active: ActiveJob, mutate: Mutation) -> Mutation:
    """The mutation, applied only while the workflow still runs this job: a canceled or superseded job writes nothing."""

    def guarded(workflow: VideoWorkflow) -> None:
        if workflow.active_job_id != active.job.id or workflow.status is not WorkflowStatus.PROCESSING:
            raise JobSupersededError(f"Workflow {workflow.id} has moved on from job {active.job.id}.")
        mutate(workflow)

    return guarded


def safe_message(model: ResolvedModel, error: BaseException | None) -> str:
    """A message fit for the user: the provider's own safe text, or the error's type only."""
    if isinstance(error, ProviderError | MediaStoreError):
        return error.message  # a full or read-only media store says so, and what to do
    log.error("provider %s (%s) failed unexpectedly", model.provider_name, model.model_id, exc_info=error)
    return f"{model.model_id} ({model.provider_name}) failed unexpectedly ({type(error).__name__})."
