"""The frame jobs: a storyboard's frames drawn in parallel, and the rejected ones redrawn with their feedback.

Each is safe to run again after a crash: frames already stored are skipped, and a recorded provider prediction
is awaited instead of created a second time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from services.core import metrics
from services.core.errors import JobCanceledError
from services.core.job_scope import in_current_context, job_part, report_progress
from services.core.settings import Settings
from services.jobs.context import ActiveJob
from services.jobs.job_workflow import owned, workflow_for_job
from services.providers.base import FrameRequest, FrameResult
from services.providers.registry import ModelRegistry, ResolvedModel
from services.providers.user_messages import safe_message
from services.storage.media_store import MediaStore, frame_key
from services.workflows import costs, rules
from services.workflows.domain import GeneratedFrame, VideoWorkflow, WorkflowStep
from services.workflows.frame_planning import PlannedFrame, frame_size, plan_frames, prompt_with_feedback
from services.workflows.writer import WorkflowWriter


@dataclass(frozen=True)
class FrameTask:
    """One frame to draw: its place in the plan, the exact prompt to send, and the model to use."""

    plan: PlannedFrame
    prompt: str
    generator: ResolvedModel


class FrameJobs:
    """Runs GENERATE_FRAMES and REGENERATE_FRAMES jobs."""

    def __init__(
        self,
        *,
        writer: WorkflowWriter,
        media: MediaStore,
        models: ModelRegistry,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.writer, self.media, self.models, self.settings, self.clock = writer, media, models, settings, clock

    def generate(self, active: ActiveJob) -> None:
        workflow = workflow_for_job(self.writer, active)
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
        framed = self.writer.update(
            workflow.user_id, workflow.id, owned(active, lambda w: rules.finish_frames(w, now=self.clock()))
        )
        self.writer.notify(framed, "workflow.step_completed", step=WorkflowStep.FRAME_GENERATION)

    def regenerate(self, active: ActiveJob) -> None:
        workflow = workflow_for_job(self.writer, active)
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
        regenerated = self.writer.update(
            workflow.user_id, workflow.id, owned(active, lambda w: rules.finish_without_change(w, now=self.clock()))
        )
        self.writer.notify(regenerated, "workflow.step_completed", step=WorkflowStep.FRAME_REVIEW)

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

            self.writer.update(workflow.user_id, workflow.id, owned(active, keep))  # a canceled job's frame is dropped
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
            self.writer.fail(
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
