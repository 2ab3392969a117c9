"""Video variations: videos from a workflow's approved frames with another model, seed or fps; pick one.

They run as a durable job (JobKind.VIDEO_VARIATIONS) on the workflow service's workers; each finished variation
is stored at once, and picking one makes it the workflow's video while every variation stays in the set.
Frames A/B (`frames_ab.FrameComparisons`) comes with this class.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId

from services.core.errors import JobSupersededError, NotFoundError, ValidationError
from services.core.job_scope import job_part
from services.core.validation import check_int_range
from services.jobs.context import ActiveJob
from services.jobs.store import JobKind
from services.lab.charging import charged
from services.lab.domain import VideoVariation, VideoVariationSet
from services.lab.frames_ab import FrameComparisons
from services.lab.repository import LabRepository
from services.providers.base import VideoRequest
from services.providers.catalog import plan_video
from services.providers.user_messages import safe_message
from services.storage.media_store import video_key
from services.studio.service import VideoWorkflowService, new_job_id
from services.workflows import costs
from services.workflows.domain import VideoOutput, VideoWorkflow
from services.workflows.frame_planning import frame_size
from services.workflows.usage import VIDEO

MAX_VARIATIONS = 2


@dataclass(frozen=True)
class VariationSpec:
    """What one variation changes; None keeps the workflow's choice (a fresh random seed for the seed)."""

    model: str | None = None
    seed: int | None = None
    fps: int | None = None
    duration: int | None = None


class LabVariations(FrameComparisons):
    """Frame comparisons (inherited) and video variation sets, owned by their user and tied to one workflow."""

    def __init__(self, *, repository: LabRepository, workflows: VideoWorkflowService, clock: Callable[[], datetime]) -> None:
        self.repository, self.workflows, self.clock = repository, workflows, clock
        self.media, self.models, self.settings = workflows.media, workflows.models, workflows.settings

    # ---- video variations ----------------------------------------------------------------------------

    def request_video_variations(
        self, *, user_id: str, workflow_id: str, specs: list[VariationSpec], key_id: str | None = None
    ) -> VideoVariationSet:
        """Plan 1–2 variations from the approved frames (refusing what can't be made) and queue their job.

        The request counts as one video generation against the user's limits, charged after every check; over
        the limit it is refused before anything is stored or started.
        """
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
        with charged(self.workflows.limits, VIDEO, user_id=user_id, key_id=key_id):
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
        self.workflows.submit_job(
            workflow_id=variation_set.workflow_id,
            user_id=variation_set.user_id,
            kind=JobKind.VIDEO_VARIATIONS,
            params={"setId": variation_set.id},
            job_id=variation_set.job_id,
        )

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
