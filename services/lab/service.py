"""PromptLab: one brief refined by 2–4 models in parallel, compared, rated, and adopted into a workflow."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from bson import ObjectId

from services.core.errors import ValidationError
from services.core.job_scope import in_current_context
from services.core.settings import Settings
from services.core.validation import clean_text
from services.lab.charging import charged
from services.lab.domain import MAX_MODELS, MIN_MODELS, LabResult, LabRun
from services.lab.export import runs_as_csv, runs_as_json
from services.lab.repository import LabRepository
from services.lab.variations import LabVariations
from services.providers.base import Brief, PastRound, RefinementRequest
from services.providers.registry import ModelRegistry
from services.providers.user_messages import safe_message
from services.studio.service import NewWorkflow, VideoWorkflowService
from services.workflows import costs
from services.workflows.domain import CostEstimate, RefinementIteration, VideoWorkflow
from services.workflows.refinement import brief_of  # the very brief the wizard's refinement round sends
from services.workflows.usage import REFINEMENT

UNTITLED = "Prompt Lab brief"
MAX_HISTORY_PAGE = 200


class PromptLab:
    """Runs, history, ratings and adoption of Prompt Lab refinements; ownership is checked on every call."""

    def __init__(
        self,
        *,
        repository: LabRepository,
        workflows: VideoWorkflowService,
        models: ModelRegistry,
        settings: Settings,
        clock: Callable[[], datetime],
        variations: LabVariations | None = None,
    ) -> None:
        self.repository, self.workflows, self.models = repository, workflows, models
        self.settings, self.clock = settings, clock
        self.variations = variations  # frames A/B and video variations

    # ---- run ------------------------------------------------------------------------------------

    def estimate(
        self,
        *,
        user_id: str,
        models: list[str],
        brief: str | None = None,
        workflow_id: str | None = None,
        additional_info: str | None = None,
    ) -> list[CostEstimate]:
        """What each model's refinement will cost, before the run (offline models cost nothing)."""
        request = self._request(user_id, brief=brief, title=None, workflow_id=workflow_id, notes=additional_info)[1]
        return [self._estimate(model, request) for model in self._checked_models(models)]

    def run(
        self,
        *,
        user_id: str,
        models: list[str],
        brief: str | None = None,
        title: str | None = None,
        workflow_id: str | None = None,
        additional_info: str | None = None,
        key_id: str | None = None,
    ) -> LabRun:
        """Refine with every model at once; each result keeps its latency, tokens and cost, or its error.

        Each model counts as one refinement against the user's limits (as a wizard round does), charged after
        every check and before any provider call.
        """
        chosen = self._checked_models(models)
        source, request = self._request(user_id, brief=brief, title=title, workflow_id=workflow_id, notes=additional_info)
        estimates = {model: self._estimate(model, request).amount_usd for model in chosen}
        started = time.perf_counter()
        with (
            charged(self.workflows.limits, REFINEMENT, user_id=user_id, key_id=key_id, units=len(chosen)),
            ThreadPoolExecutor(max_workers=len(chosen)) as pool,
        ):
            futures = [pool.submit(in_current_context(self._refine_one), model, request, user_id) for model in chosen]
            results = [future.result() for future in futures]
        for result in results:
            result.estimate_usd = estimates[result.model]
        run = LabRun(
            id=str(ObjectId()),
            user_id=user_id,
            workflow_id=source.id if source else None,
            title=request.brief.title,
            brief=(source.final_refined_prompt or source.initial_prompt) if source else request.brief.initial_prompt,
            additional_info=request.additional_info,
            models=chosen,
            results=results,
            estimate_usd=round(sum(estimates.values()), 6),
            total_cost_usd=round(sum(r.cost_usd for r in results), 6),
            elapsed_ms=int(1000 * (time.perf_counter() - started)),
            created_at=self.clock(),
        )
        self.repository.insert_run(run)
        return run

    def _refine_one(self, model: str, request: RefinementRequest, user_id: str) -> LabResult:
        refiner = self.models.refiner(model)
        started = time.perf_counter()
        try:
            answer = refiner.implementation.refine(
                RefinementRequest(request.brief, request.history, request.additional_info, model, user_id)
            )
        except Exception as exc:  # noqa: BLE001 - one model failing must not lose the others' results
            latency = int(1000 * (time.perf_counter() - started))
            return LabResult(
                model=model, provider=refiner.provider_name, latency_ms=latency, error=safe_message(refiner, exc)
            )
        latency = int(1000 * (time.perf_counter() - started))
        provider = answer.provider or refiner.provider_name
        text = (answer.refined_prompt or "").strip()
        cost = 0.0 if provider == "offline" else costs.refinement_actual(refiner.spec, dict(answer.usage))
        return LabResult(
            model=model,
            provider=provider,
            refined_prompt=text,
            latency_ms=latency,
            usage=dict(answer.usage),
            cost_usd=cost,
            error=None if text else f"{model} returned an empty prompt.",
        )

    def _checked_models(self, models: list[str]) -> list[str]:
        chosen = list(dict.fromkeys(m.strip() for m in models if m and m.strip()))
        if not MIN_MODELS <= len(chosen) <= MAX_MODELS:
            raise ValidationError(f"Pick {MIN_MODELS} to {MAX_MODELS} different refinement models; got {len(chosen)}.")
        return [self.models.refiner(model).model_id for model in chosen]  # unknown ids fail with the valid list

    def _request(
        self, user_id: str, *, brief: str | None, title: str | None, workflow_id: str | None, notes: str | None
    ) -> tuple[VideoWorkflow | None, RefinementRequest]:
        s = self.settings
        cleaned_notes = clean_text(notes, field="Additional info", max_length=s.MAX_NOTES_LENGTH, required=False) or None
        if (brief is None) == (workflow_id is None):
            raise ValidationError("Give either a brief or a workflowId (one of the two).")
        if workflow_id is not None:
            workflow = self.workflows.get_workflow(user_id=user_id, workflow_id=workflow_id)
            history = tuple(PastRound(i.additional_info, i.refined_prompt) for i in workflow.refinement_iterations)
            return workflow, RefinementRequest(brief_of(workflow), history, cleaned_notes, "", user_id)
        text = clean_text(brief, field="Brief", max_length=s.MAX_PROMPT_LENGTH, required=True)
        name = clean_text(title, field="Title", max_length=s.MAX_TITLE_LENGTH, required=False) or UNTITLED
        plain = Brief(
            title=name, initial_prompt=text, target_audience="", tone="", duration=30, style="", aspect_ratio="16:9"
        )
        return None, RefinementRequest(plain, (), cleaned_notes, "", user_id)

    def _estimate(self, model: str, request: RefinementRequest) -> CostEstimate:
        refiner = self.models.refiner(model)
        sent = (
            costs.PROMPT_OVERHEAD_CHARS
            + len(request.brief.initial_prompt)
            + len(request.additional_info or "")
            + sum(len(p.refined_prompt) + len(p.additional_info or "") for p in request.history)
        )
        if refiner.provider_name == "offline":
            return costs.refinement_estimate(None, model=model, provider="offline", input_chars=sent)
        return costs.refinement_estimate(refiner.spec, model=model, provider=refiner.provider_name, input_chars=sent)

    # ---- history ---------------------------------------------------------------------------------

    def get_run(self, *, user_id: str, run_id: str) -> LabRun:
        """One of the user's runs."""
        return self.repository.get_run(user_id=user_id, run_id=run_id)

    def list_runs(
        self, *, user_id: str, text: str | None = None, page: int = 1, page_size: int = 20
    ) -> tuple[list[LabRun], int]:
        """The user's runs, newest first, optionally only those mentioning text; and how many match."""
        if not 1 <= page_size <= MAX_HISTORY_PAGE or page < 1:
            raise ValidationError(f"Page must be 1 or more and page size 1 to {MAX_HISTORY_PAGE}.")
        return self.repository.list_runs(user_id=user_id, text=text, limit=page_size, skip=(page - 1) * page_size)

    def export(self, *, user_id: str, text: str | None = None, fmt: str = "json") -> str:
        """The user's whole (matching) history as JSON or CSV."""
        if fmt not in ("json", "csv"):
            raise ValidationError("Export format must be json or csv.")
        runs, _ = self.repository.list_runs(user_id=user_id, text=text, limit=0)
        return runs_as_json(runs) if fmt == "json" else runs_as_csv(runs)

    def rate(self, *, user_id: str, run_id: str, model: str, starred: bool | None = None, note: str | None = None) -> LabRun:
        """Star (or unstar) a result and keep a note on it."""
        run = self.get_run(user_id=user_id, run_id=run_id)
        result = self._result(run, model)
        if starred is not None:
            result.starred = starred
        if note is not None:
            result.note = clean_text(note, field="Note", max_length=self.settings.MAX_NOTES_LENGTH, required=False)
        self.repository.update_result(run, result)
        return run

    # ---- adopt -----------------------------------------------------------------------------------

    def adopt(self, *, user_id: str, run_id: str, model: str, workflow_id: str) -> VideoWorkflow:
        """ "Use this one": the result becomes the workflow's next refinement iteration, with its model, run and cost."""
        run = self.get_run(user_id=user_id, run_id=run_id)
        result = self._result(run, model)
        if result.error or not result.refined_prompt:
            raise ValidationError(f"{model} has no result in this run to use ({result.error or 'empty'}).")
        iteration = RefinementIteration(
            iteration=0,  # numbered by the workflow when it is added
            additional_info=run.additional_info,
            refined_prompt=result.refined_prompt,
            model=result.model,
            provider=result.provider,
            created_at=self.clock(),
            duration_ms=result.latency_ms,
            usage=dict(result.usage),
            cost_usd=result.cost_usd,
            lab_run_id=run.id,
        )
        workflow = self.workflows.adopt_refinement(user_id=user_id, workflow_id=workflow_id, iteration=iteration)
        if workflow_id not in result.adopted_into:
            result.adopted_into.append(workflow_id)
            self.repository.update_result(run, result)
        return workflow

    def start_workflow(self, *, user_id: str, run_id: str, model: str, title: str | None = None) -> VideoWorkflow:
        """A new workflow whose brief is the run's, with this result as its first refinement iteration."""
        run = self.get_run(user_id=user_id, run_id=run_id)
        self._result(run, model)
        source = None
        if run.workflow_id is not None:
            try:
                source = self.workflows.get_workflow(user_id=user_id, workflow_id=run.workflow_id)
            except Exception:  # noqa: BLE001 - the source workflow may be gone; the run's own brief still works
                source = None
        meta = source.metadata if source else None
        created = self.workflows.create_workflow(
            user_id=user_id,
            brief=NewWorkflow(
                title=title or run.title,
                initial_prompt=source.initial_prompt if source else run.brief[: self.settings.MAX_PROMPT_LENGTH],
                target_audience=meta.target_audience if meta else "",
                tone=meta.tone if meta else "",
                duration=min(meta.duration if meta else 30, self.settings.MAX_VIDEO_DURATION),
                style=meta.style if meta else "",
                aspect_ratio=meta.aspect_ratio if meta else "16:9",
                refinement_model=model,
            ),
        )
        return self.adopt(user_id=user_id, run_id=run_id, model=model, workflow_id=created.id)

    @staticmethod
    def _result(run: LabRun, model: str) -> LabResult:
        result = run.result(model)
        if result is None:
            raise ValidationError(f"This lab run has no result for {model!r}. Its models: {', '.join(run.models)}.")
        return result
