"""Frames A/B and video variations: the same work on other models, seeds or frame rates, then adopt one.

A frame comparison renders one frame's prompt on two frame models with the frame's seed, in parallel,
inside the call (about one frame's time). Video variations run as a durable job (JobKind.VIDEO_VARIATIONS)
on the workflow service's workers; each finished variation is stored at once, and picking one makes it the
workflow's video while every variation stays in the set.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId

from services.core.errors import JobSupersededError, NotFoundError, ValidationError
from services.core.validation import check_int_range
from services.jobs.context import ActiveJob, in_current_context, job_part
from services.jobs.generation import safe_message
from services.jobs.store import JobKind
from services.lab.domain import FrameCandidate, FrameComparison, VideoVariation, VideoVariationSet
from services.lab.repository import LabRepository
from services.providers.base import FrameRequest, VideoRequest
from services.providers.catalog import check_frame, plan_video
from services.storage.media_store import frame_key, video_key
from services.workflows import costs
from services.workflows.domain import GeneratedFrame, VideoOutput, VideoWorkflow
from services.workflows.frame_planning import frame_size
from services.workflows.service import VideoWorkflowService, new_job_id

FRAME_MODELS = ("stable-diffusion-xl", "flux-1.1-pro")  # dalle-3 is retired; flux-1.1-pro succeeds it (issue 18)
MAX_VARIATIONS = 2


@dataclass(frozen=True)
class VariationSpec:
    """What one variation changes; None keeps the workflow's choice (a fresh random seed for the seed)."""

    model: str | None = None
    seed: int | None = None
    fps: int | None = None
    duration: int | None = None


class LabVariations:
    """Frame comparisons and video variation sets, owned by their user and tied to one workflow."""

    def __init__(self, *, repository: LabRepository, workflows: VideoWorkflowService, clock: Callable[[], datetime]) -> None:
        self.repository, self.workflows, self.clock = repository, workflows, clock
        self.media, self.models, self.settings = workflows.media, workflows.models, workflows.settings

    # ---- frames A/B -------------------------------------------------------------------------------

    def compare_frame(
        self, *, user_id: str, workflow_id: str, frame_number: int, models: list[str] | None = None
    ) -> FrameComparison:
        """Render the frame's current prompt on two frame models with the frame's seed, side by side."""
        workflow = self.workflows.get_workflow(user_id=user_id, workflow_id=workflow_id)
        frame = workflow.frame(frame_number)
        if frame is None:
            raise ValidationError(f"Frame {frame_number} does not exist in this workflow.")
        chosen = list(dict.fromkeys(models or FRAME_MODELS))
        if len(chosen) != 2:
            raise ValidationError("Compare exactly two different frame models.")
        generators = [self.models.frame_generator(model) for model in chosen]
        for generator in generators:  # refuse what a model can't draw before paying for the other
            if generator.spec is not None:
                check_frame(
                    generator.spec, width=frame.width, height=frame.height, aspect_ratio=workflow.metadata.aspect_ratio
                )
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(in_current_context(self._render_frame), workflow, frame, g.model_id) for g in generators]
            candidates = [future.result() for future in futures]
        comparison = FrameComparison(
            id=str(ObjectId()),
            user_id=user_id,
            workflow_id=workflow_id,
            frame_number=frame_number,
            prompt=frame.prompt,
            candidates=candidates,
            total_cost_usd=round(sum(c.cost_usd for c in candidates), 6),
            created_at=self.clock(),
        )
        self.repository.insert_comparison(comparison)
        if comparison.total_cost_usd:
            self.workflows.add_cost(user_id=user_id, workflow_id=workflow_id, amount=comparison.total_cost_usd)
        return comparison

    def _render_frame(self, workflow: VideoWorkflow, frame: GeneratedFrame, model: str) -> FrameCandidate:
        generator = self.models.frame_generator(model)
        seed_applied = not (generator.spec is not None and generator.spec.inputs == "dalle")  # DALL-E takes no seed
        request = FrameRequest(
            workflow_id=workflow.id,
            frame_number=frame.frame_number,
            frame_count=workflow.planned_frame_count or len(workflow.generated_frames),
            scene=frame.scene,
            prompt=frame.prompt,
            width=frame.width,
            height=frame.height,
            seed=frame.seed,
            model=model,
            user_id=workflow.user_id,
        )
        started = time.perf_counter()
        try:
            result = generator.implementation.generate_frame(request)
        except Exception as exc:  # noqa: BLE001 - one model failing still shows the other
            latency = int(1000 * (time.perf_counter() - started))
            return FrameCandidate(
                model=model,
                provider=generator.provider_name,
                seed=frame.seed,
                latency_ms=latency,
                seed_applied=seed_applied,
                error=safe_message(generator, exc),
            )
        latency = int(1000 * (time.perf_counter() - started))
        key = frame_key(workflow.id, frame.frame_number)
        self.media.put_bytes(key, result.image)
        provider = result.provider or generator.provider_name
        return FrameCandidate(
            model=model,
            provider=provider,
            image_key=key,
            seed=frame.seed,
            seed_applied=seed_applied,
            latency_ms=latency,
            cost_usd=0.0 if provider == "offline" else costs.frame_actual(generator.spec),
        )

    def adopt_frame(self, *, user_id: str, comparison_id: str, model: str) -> VideoWorkflow:
        """The candidate becomes the frame's next version; the current one goes into the frame's history."""
        comparison = self.repository.get_comparison(user_id=user_id, comparison_id=comparison_id)
        candidate = next((c for c in comparison.candidates if c.model == model), None)
        if candidate is None or candidate.error or not candidate.image_key:
            raise ValidationError(f"This comparison has no image from {model!r} to adopt.")
        workflow = self.workflows.get_workflow(user_id=user_id, workflow_id=comparison.workflow_id)
        current = workflow.frame(comparison.frame_number)
        if current is None:
            raise NotFoundError(f"Frame {comparison.frame_number} no longer exists in this workflow.")
        adopted = current.model_copy(
            update={
                "prompt": comparison.prompt,
                "image_key": candidate.image_key,
                "model": candidate.model,
                "provider": candidate.provider,
                "seed": candidate.seed,
                "approved": False,
                "feedback": None,
                "generated_at": self.clock(),
                "cost_usd": candidate.cost_usd,
                "duration_ms": candidate.latency_ms,
                "lab_comparison_id": comparison.id,
                "history": [],
            }
        )
        updated = self.workflows.adopt_frame_version(user_id=user_id, workflow_id=comparison.workflow_id, frame=adopted)
        self.repository.mark_adopted(comparison, model)
        return updated

    def get_comparison(self, *, user_id: str, comparison_id: str) -> FrameComparison:
        """One of the user's frame comparisons."""
        return self.repository.get_comparison(user_id=user_id, comparison_id=comparison_id)

    # ---- video variations ----------------------------------------------------------------------------

    def request_video_variations(self, *, user_id: str, workflow_id: str, specs: list[VariationSpec]) -> VideoVariationSet:
        """Plan 1–2 variations from the approved frames (refusing what can't be made) and queue their job."""
        workflow = self.workflows.get_workflow(user_id=user_id, workflow_id=workflow_id)
        if not workflow.frames_approved or not workflow.generated_frames:
            raise ValidationError("Approve every frame before rendering video variations.")
        self.workflows.check_idle(workflow)
        if not 1 <= len(specs) <= MAX_VARIATIONS:
            raise ValidationError(f"Ask for 1 to {MAX_VARIATIONS} variations at a time.")
        variations = [self._plan(workflow, index, spec) for index, spec in enumerate(specs)]
        signatures = {(v.model, v.seed, v.fps, v.duration) for v in variations}
        if len(signatures) != len(variations):
            raise ValidationError("The two variations are identical. Change the model, the seed or the fps of one.")
        job_id = new_job_id()
        variation_set = VideoVariationSet(
            id=str(ObjectId()),
            user_id=user_id,
            workflow_id=workflow_id,
            job_id=job_id,
            frame_keys=[f.image_key for f in workflow.generated_frames],
            prompt=workflow.final_refined_prompt or workflow.initial_prompt,
            variations=variations,
            created_at=self.clock(),
        )
        self.repository.insert_variation_set(variation_set)  # before the job, which finds its set by job id
        self._start_job(variation_set)
        return self.repository.get_variation_set(user_id=user_id, set_id=variation_set.id)

    def _plan(self, workflow: VideoWorkflow, index: int, spec: VariationSpec) -> VideoVariation:
        s = self.settings
        generator = self.models.video_generator(spec.model or workflow.model_selections.video)
        seconds = spec.duration if spec.duration is not None else workflow.metadata.duration
        rate = spec.fps if spec.fps is not None else s.DEFAULT_VIDEO_FPS
        check_int_range(seconds, field="Duration", minimum=1, maximum=s.MAX_VIDEO_DURATION, unit="seconds")
        check_int_range(rate, field="FPS", minimum=s.MIN_VIDEO_FPS, maximum=s.MAX_VIDEO_FPS, unit="frames per second")
        if generator.spec is not None:
            seconds = plan_video(
                generator.spec, seconds=seconds, fps=rate, aspect_ratio=workflow.metadata.aspect_ratio
            ).seconds
        spec_for_price = None if generator.provider_name == "offline" else generator.spec
        estimate = costs.video_estimate(
            spec_for_price, model=generator.model_id, provider=generator.provider_name, seconds=seconds
        )
        seed = spec.seed if spec.seed is not None else random.SystemRandom().randrange(1, 2**31)
        return VideoVariation(
            index=index, model=generator.model_id, seed=seed, fps=rate, duration=seconds, estimate_usd=estimate.amount_usd
        )

    def _start_job(self, variation_set: VideoVariationSet) -> None:
        runner = self.workflows.jobs
        inline = self.workflows.dispatcher is None
        job, created = runner.store.create(
            workflow_id=variation_set.workflow_id,
            user_id=variation_set.user_id,
            kind=JobKind.VIDEO_VARIATIONS,
            params={"setId": variation_set.id},
            idempotency_key=None,
            job_id=variation_set.job_id,
            max_attempts=self.settings.JOB_MAX_ATTEMPTS,
            claimed_by=runner.worker_id if inline else None,
        )
        if created and self.workflows.dispatcher is not None:
            self.workflows.dispatcher.submit(job)
        elif created:
            runner.run(job, self.workflows.execute_job)

    def execute_job(self, active: ActiveJob) -> None:
        """Render each variation not yet done (a resumed job skips finished ones), storing each as it finishes."""
        variation_set = self.repository.variation_set_for_job(active.job.id)
        if variation_set is None:
            raise JobSupersededError(f"Job {active.job.id} has no variation set.")
        try:
            workflow = self.workflows.get_workflow(user_id=variation_set.user_id, workflow_id=variation_set.workflow_id)
        except NotFoundError:
            raise JobSupersededError(f"Workflow {variation_set.workflow_id} is gone.") from None
        frames = tuple(self.media.get_bytes(key) for key in variation_set.frame_keys)
        pending = [v for v in variation_set.variations if v.status != "SUCCEEDED"]
        for done, variation in enumerate(pending, start=1):
            self._render_variation(workflow, variation_set, variation, frames)
            message = f"{done} of {len(pending)} variations rendered"
            active.mark_done(f"variation-{variation.index}", percent=int(100 * done / len(pending)), message=message)

    def _render_variation(
        self, workflow: VideoWorkflow, variation_set: VideoVariationSet, variation: VideoVariation, frames: tuple[bytes, ...]
    ) -> None:
        generator = self.models.video_generator(variation.model)
        width, height = frame_size(workflow.metadata.aspect_ratio)
        scratch = self.media.scratch_path(".mp4")
        request = VideoRequest(
            workflow_id=workflow.id,
            prompt=variation_set.prompt,
            frame_images=frames,
            duration=variation.duration,
            fps=variation.fps,
            width=width,
            height=height,
            model=generator.model_id,
            user_id=workflow.user_id,
            seed=variation.seed,
        )
        started = time.monotonic()
        try:
            with job_part(f"variation-{variation.index}"):
                result = generator.implementation.generate_video(request, scratch)
        except Exception as exc:  # noqa: BLE001 - the other variation still renders
            variation.status, variation.error = "FAILED", safe_message(generator, exc)
            self.repository.save_variation(variation_set.id, variation)
            return
        key = video_key(workflow.id)
        size = result.path.stat().st_size
        self.media.put_file(key, result.path)
        provider = result.provider or generator.provider_name
        cost = 0.0 if provider == "offline" else costs.video_actual(generator.spec, variation.duration)
        variation.video = VideoOutput(
            video_key=key,
            model=generator.model_id,
            provider=provider,
            duration=variation.duration,
            fps=variation.fps,
            width=width,
            height=height,
            frame_count=result.frame_count,
            size_bytes=size,
            generated_at=self.clock(),
            cost_usd=cost,
            duration_ms=int(1000 * (time.monotonic() - started)),
            seed=variation.seed,
            variation_set_id=variation_set.id,
        )
        variation.status, variation.error = "SUCCEEDED", None
        self.repository.save_variation(variation_set.id, variation)
        if cost:
            self.workflows.add_cost(user_id=workflow.user_id, workflow_id=workflow.id, amount=cost)

    def pick_video(self, *, user_id: str, set_id: str, index: int) -> VideoWorkflow:
        """The variation becomes the workflow's videoOutput; every variation (and the earlier video) is kept."""
        variation_set = self.repository.get_variation_set(user_id=user_id, set_id=set_id)
        variation = next((v for v in variation_set.variations if v.index == index), None)
        if variation is None or variation.video is None:
            raise ValidationError(f"Variation {index} has no finished video to pick.")
        workflow = self.workflows.pick_video(user_id=user_id, workflow_id=variation_set.workflow_id, video=variation.video)
        self.repository.mark_picked(set_id, index)
        return workflow

    def get_variation_set(self, *, user_id: str, set_id: str) -> VideoVariationSet:
        """One of the user's variation sets."""
        return self.repository.get_variation_set(user_id=user_id, set_id=set_id)
