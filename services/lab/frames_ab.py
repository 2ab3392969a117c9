"""Frames A/B: one frame's prompt on two frame models with the frame's seed, side by side; adopt one as its next version.

The comparison renders inside the call, both models in parallel (about one frame's time), and counts as one frame
generation against the user's limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from bson import ObjectId

from services.core.errors import NotFoundError, ValidationError
from services.core.job_scope import in_current_context
from services.lab.charging import charged
from services.lab.domain import FrameCandidate, FrameComparison
from services.lab.repository import LabRepository
from services.providers.base import FrameRequest
from services.providers.catalog import check_frame
from services.providers.registry import ModelRegistry
from services.providers.user_messages import safe_message
from services.storage.media_store import MediaStore, frame_key
from services.studio.service import VideoWorkflowService
from services.workflows import costs
from services.workflows.domain import GeneratedFrame, VideoWorkflow
from services.workflows.usage import FRAMES

FRAME_MODELS = ("stable-diffusion-xl", "flux-1.1-pro")  # dalle-3 is retired; flux-1.1-pro succeeds it (issue 18)


class FrameComparisons:
    """Frame comparisons, owned by their user and tied to one workflow's frame."""

    repository: LabRepository
    workflows: VideoWorkflowService
    clock: Callable[[], datetime]
    models: ModelRegistry
    media: MediaStore

    def compare_frame(
        self,
        *,
        user_id: str,
        workflow_id: str,
        frame_number: int,
        models: list[str] | None = None,
        key_id: str | None = None,
    ) -> FrameComparison:
        """Render the frame's current prompt on two frame models with the frame's seed (one frame generation)."""
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
        with (
            charged(self.workflows.limits, FRAMES, user_id=user_id, key_id=key_id),
            ThreadPoolExecutor(max_workers=2) as pool,
        ):
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
