"""One refinement round: the brief, the earlier rounds and the user's notes, rewritten by the chosen LLM."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from services.core import metrics
from services.core.settings import Settings
from services.core.validation import clean_text
from services.providers.base import Brief, PastRound, RefinementRequest, RefinementResult
from services.providers.registry import ModelRegistry, ResolvedModel
from services.workflows import costs, rules
from services.workflows.domain import RefinementIteration, VideoWorkflow, WorkflowStep
from services.workflows.prompt_cache import PromptCache
from services.workflows.state_machine import WorkflowAction
from services.workflows.usage import REFINEMENT, ChargeOnStart, UsageLimits
from services.workflows.writer import WorkflowWriter


class PromptRefinement:
    """Refines through the prompt cache (identical requests answered once) and charges only rounds that start."""

    def __init__(
        self,
        *,
        writer: WorkflowWriter,
        models: ModelRegistry,
        settings: Settings,
        clock: Callable[[], datetime],
        limits: UsageLimits | None,
        prompt_cache: PromptCache | None,
    ) -> None:
        self.writer, self.models, self.settings, self.clock = writer, models, settings, clock
        self.limits = limits  # None: unlimited
        self.prompt_cache = prompt_cache

    def refine(
        self,
        *,
        user_id: str,
        workflow_id: str,
        additional_info: str | None = None,
        model: str | None = None,
        fresh: bool = False,
        key_id: str | None = None,
    ) -> VideoWorkflow:
        """Run one refinement round with the chosen model and the user's notes; fresh=True skips the prompt cache."""
        notes = (
            clean_text(additional_info, field="Additional info", max_length=self.settings.MAX_NOTES_LENGTH, required=False)
            or None
        )
        current = self.writer.get(user_id=user_id, workflow_id=workflow_id)
        refiner = self.models.refiner(model or current.model_selections.refinement)

        def start(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)  # first: a running job is named, whatever else is wrong
            rules.check_can_refine(workflow)
            self.writer.begin(workflow, WorkflowAction.REFINE_PROMPT)
            workflow.model_selections.refinement = refiner.model_id

        with ChargeOnStart(self.limits, REFINEMENT, user_id=user_id, key_id=key_id) as usage:
            workflow = self.writer.update(user_id, workflow_id, usage.guard(start))
        request = RefinementRequest(
            brief=brief_of(workflow),
            history=tuple(PastRound(i.additional_info, i.refined_prompt) for i in workflow.refinement_iterations),
            additional_info=notes,
            model=refiner.model_id,
            user_id=user_id,
        )
        started = time.perf_counter()
        result, provider, cached_at = self._refine(user_id, workflow_id, refiner, request, fresh=fresh)
        cached = cached_at is not None
        refined = (result.refined_prompt or "").strip()
        if not refined:
            self.writer.fail(
                user_id,
                workflow_id,
                WorkflowStep.PROMPT_REFINEMENT,
                refiner.provider_name,
                f"{refiner.model_id} returned an empty prompt. Try again or pick another model.",
            )
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        if not cached and self.prompt_cache is not None and provider != "offline":
            self.prompt_cache.put(
                self.prompt_cache.key_for(request, user_id=user_id),
                refined_prompt=refined,
                provider=provider,
                model=refiner.model_id,
                usage=dict(result.usage),
            )
        cost = 0.0 if cached or provider == "offline" else costs.refinement_actual(refiner.spec, result.usage)

        def complete(workflow: VideoWorkflow) -> None:
            iteration = RefinementIteration(
                iteration=len(workflow.refinement_iterations) + 1,
                additional_info=notes,
                refined_prompt=refined,
                model=refiner.model_id,
                requested_model=refiner.requested_id,
                provider=provider,
                created_at=self.clock(),
                duration_ms=elapsed_ms,
                cached=cached,
                cached_at=cached_at,
                usage=dict(result.usage),
                cost_usd=cost,
            )
            costs.add_cost(workflow, cost)
            rules.complete_refinement(workflow, iteration, now=self.clock())

        refined_workflow = self.writer.update(user_id, workflow_id, complete)
        metrics.refinement_completed(model=refiner.model_id, cached=cached, seconds=elapsed_ms / 1000)
        return self.writer.notify(refined_workflow, "workflow.step_completed", step=WorkflowStep.PROMPT_REFINEMENT)

    def _refine(
        self, user_id: str, workflow_id: str, refiner: ResolvedModel, request: RefinementRequest, *, fresh: bool
    ) -> tuple[RefinementResult, str, datetime | None]:
        """The cached answer for an identical request (unless fresh), else the provider's.

        Returns (result, provider, when the cached answer was first made, or None when the provider answered now).
        """
        if self.prompt_cache is not None and not fresh:
            hit = self.prompt_cache.get(self.prompt_cache.key_for(request, user_id=user_id))
            if hit is not None:
                result = RefinementResult(hit["refinedPrompt"], dict(hit.get("usage") or {}))
                return result, hit["provider"], hit.get("createdAt") or self.clock()
        result = self.writer.call(
            user_id, workflow_id, WorkflowStep.PROMPT_REFINEMENT, refiner, lambda: refiner.implementation.refine(request)
        )
        return result, result.provider or refiner.provider_name, None


def brief_of(workflow: VideoWorkflow) -> Brief:
    meta = workflow.metadata
    return Brief(
        title=workflow.title,
        initial_prompt=workflow.initial_prompt,
        target_audience=meta.target_audience,
        tone=meta.tone,
        duration=meta.duration,
        style=meta.style,
        aspect_ratio=meta.aspect_ratio,
    )
