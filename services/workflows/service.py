"""VideoWorkflowService: one method per use case from the spec."""

from __future__ import annotations

import copy
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn, Protocol, TypeVar

from bson import ObjectId

from services.core import metrics
from services.core.clock import utc_now
from services.core.errors import (
    ConflictError,
    ForbiddenError,
    JobSupersededError,
    NotFoundError,
    StepFailedError,
    ValidationError,
)
from services.core.settings import ASPECT_RATIOS, Settings
from services.core.validation import check_int_range, clean_text
from services.jobs.control import JobControl
from services.jobs.dispatch import JobDispatcher
from services.jobs.generation import GenerationSteps, safe_message
from services.jobs.runner import JobRunner
from services.jobs.store import JobKind
from services.providers.base import Brief, PastRound, RefinementRequest, RefinementResult
from services.providers.catalog import check_frame, plan_video
from services.providers.registry import ModelRegistry, ModelRole, ResolvedModel
from services.storage.media_store import MediaStore, StoredMedia, workflow_of_key
from services.workflows import costs, rules
from services.workflows.adoption import Adoptions
from services.workflows.campaigns import CampaignService
from services.workflows.domain import (
    REFRAME_MODES,
    ModelSelections,
    RefinementIteration,
    VideoWorkflow,
    WorkflowLimits,
    WorkflowMetadata,
    WorkflowStep,
)
from services.workflows.frame_planning import frame_size
from services.workflows.options import StepOptions
from services.workflows.prompt_cache import PromptCache
from services.workflows.repository import SummaryPage, WorkflowPage, WorkflowRepository
from services.workflows.rules import FrameReview
from services.workflows.state_machine import WorkflowAction
from services.workflows.usage import FRAMES, REFINEMENT, VIDEO, ChargeOnStart, Quota, UsageLimits

log = logging.getLogger(__name__)
T = TypeVar("T")
Mutation = Callable[[VideoWorkflow], None]


class EventSink(Protocol):
    def emit(self, *, user_id: str, event_type: str, data: dict) -> int: ...


MAX_WRITE_ATTEMPTS = 20
REFINEMENT_STEPS = (WorkflowStep.PROMPT_REFINEMENT, WorkflowStep.ADDITIONAL_INFO)
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class NewWorkflow:
    """The brief a user fills in to start a workflow."""

    title: str
    initial_prompt: str
    target_audience: str = ""
    tone: str = ""
    duration: int = 30
    style: str = ""
    aspect_ratio: str = "16:9"
    reframe: str = "crop"  # how a ratio the video model lacks is delivered: crop, or blurred-pad
    sound: bool = True
    campaign_id: str | None = None
    refinement_model: str | None = None
    frame_model: str | None = None
    video_model: str | None = None
    example: bool = False  # a bundled example (services/examples), labelled as such everywhere


class VideoWorkflowService(JobControl, GenerationSteps, StepOptions, Adoptions):
    """Enforces ownership, the state machine, limits and validation for every use case."""

    def __init__(
        self,
        *,
        repository: WorkflowRepository,
        media: MediaStore,
        models: ModelRegistry,
        jobs: JobRunner,
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
        prompt_cache: PromptCache | None = None,
        dispatcher: JobDispatcher | None = None,
        events: EventSink | None = None,
        campaigns: CampaignService | None = None,
        limits: UsageLimits | None = None,
    ) -> None:
        self.repository = repository
        self.limits = limits  # per-user usage limits, charged only for work that starts (None: unlimited)
        self.extra_job_steps = {}  # job kinds other capabilities run through this service's workers
        self.events = events  # users' callback URLs (outgoing webhooks), when configured
        self.campaigns = campaigns  # a campaignId the user has no campaign for creates it
        self.dispatcher = dispatcher  # None: jobs run inside the calling request
        self.prompt_cache = prompt_cache
        self.jobs = jobs
        self.media = media
        self.models = models
        self.settings = settings
        self.clock = clock
        self._stale_after = timedelta(seconds=settings.PROCESSING_STALE_AFTER_SECONDS)

    # ---- create, read, list, delete -------------------------------------------------------

    def create_workflow(self, *, user_id: str, brief: NewWorkflow) -> VideoWorkflow:
        """Validate the brief and store a new workflow at INITIAL_PROMPT."""
        s = self.settings
        check_int_range(brief.duration, field="Duration", minimum=1, maximum=s.MAX_VIDEO_DURATION, unit="seconds")
        if brief.aspect_ratio not in ASPECT_RATIOS:
            raise ValidationError(f"Unknown aspect ratio {brief.aspect_ratio!r}. Use one of: {', '.join(ASPECT_RATIOS)}.")
        m = self.models  # a configured default found unavailable gives way to its successor; a user's pick does not
        selections = ModelSelections(
            refinement=m.refiner(
                brief.refinement_model or m.usable(ModelRole.REFINEMENT, s.DEFAULT_REFINEMENT_MODEL)
            ).model_id,
            frames=m.frame_generator(brief.frame_model or m.usable(ModelRole.FRAMES, s.DEFAULT_FRAME_MODEL)).model_id,
            video=m.video_generator(brief.video_model or m.usable(ModelRole.VIDEO, s.DEFAULT_VIDEO_MODEL)).model_id,
        )
        if brief.reframe not in REFRAME_MODES:
            raise ValidationError(f"Unknown reframing {brief.reframe!r}. Use one of: {', '.join(REFRAME_MODES)}.")
        campaign_id = clean_text(brief.campaign_id, field="Campaign", max_length=100, required=False) or None
        if campaign_id is not None and self.campaigns is not None:
            self.campaigns.ensure(user_id=user_id, campaign_id=campaign_id)  # the user's own, found or created
        now = self.clock()
        workflow = VideoWorkflow(
            id=str(ObjectId()),  # time-ordered, so equal lastActivity still lists newest first
            user_id=user_id,
            campaign_id=campaign_id,
            title=clean_text(brief.title, field="Title", max_length=s.MAX_TITLE_LENGTH, required=True),
            initial_prompt=clean_text(brief.initial_prompt, field="Prompt", max_length=s.MAX_PROMPT_LENGTH, required=True),
            metadata=WorkflowMetadata(
                target_audience=clean_text(brief.target_audience, field="Target audience", max_length=500, required=False),
                tone=clean_text(brief.tone, field="Tone", max_length=200, required=False),
                duration=brief.duration,
                style=clean_text(brief.style, field="Style", max_length=500, required=False),
                aspect_ratio=brief.aspect_ratio,
                reframe=brief.reframe,
                sound=brief.sound,
            ),
            model_selections=selections,
            limits=WorkflowLimits(
                max_refinement_iterations=s.MAX_REFINEMENT_ITERATIONS,
                max_frame_regenerations=s.MAX_FRAME_REGENERATIONS,
            ),
            frame_seed=random.SystemRandom().randrange(1, 2**31),
            created_at=now,
            last_activity=now,
            example=brief.example,
        )
        self.repository.insert(workflow)
        metrics.workflow_created()
        return workflow

    def get_workflow(self, *, user_id: str, workflow_id: str) -> VideoWorkflow:
        """The user's workflow; another user's → ForbiddenError, missing or deleted → NotFoundError."""
        workflow = self.repository.get(workflow_id)
        if workflow is None or workflow.deleted_at is not None:
            raise NotFoundError(f"Workflow {workflow_id} was not found. It may have been deleted.")
        if workflow.user_id != user_id:
            raise ForbiddenError("This workflow belongs to another user.")
        return workflow

    def get_workflow_document(self, *, user_id: str, workflow_id: str) -> dict:
        """The user's stored workflow document, unvalidated, under get_workflow's checks (for fast read-only views)."""
        document = self.repository.get_document(workflow_id)
        if document is None or document.get("deletedAt") is not None:
            raise NotFoundError(f"Workflow {workflow_id} was not found. It may have been deleted.")
        if document.get("userId") != user_id:
            raise ForbiddenError("This workflow belongs to another user.")
        return document

    def list_workflows(
        self, *, user_id: str, campaign_id: str | None = None, page: int = 1, page_size: int = 20
    ) -> WorkflowPage:
        """The user's live workflows, newest activity first, one page at a time."""
        check_int_range(page, field="Page", minimum=1, maximum=1_000_000)
        check_int_range(page_size, field="Page size", minimum=1, maximum=MAX_PAGE_SIZE)
        return self.repository.list_for_user(user_id, campaign_id=campaign_id, page=page, page_size=page_size)

    def list_summaries(
        self, *, user_id: str, campaign_id: str | None = None, page: int = 1, page_size: int = 20
    ) -> SummaryPage:
        """The same list as list_workflows, as summaries (no history, prompts or frames) and an exact total."""
        check_int_range(page, field="Page", minimum=1, maximum=1_000_000)
        check_int_range(page_size, field="Page size", minimum=1, maximum=MAX_PAGE_SIZE)
        return self.repository.list_summaries(user_id, campaign_id=campaign_id, page=page, page_size=page_size)

    def delete_workflow(self, *, user_id: str, workflow_id: str, hard: bool = False) -> None:
        """Soft delete (hidden from lists and reads) or, on request, remove it and its media; never while a job runs."""

        def soft(workflow: VideoWorkflow) -> None:
            self._ensure_idle(workflow)
            workflow.deleted_at = self.clock()

        if not hard:
            self._update(user_id, workflow_id, soft)
            return
        for _ in range(MAX_WRITE_ATTEMPTS):
            workflow = self.get_workflow(user_id=user_id, workflow_id=workflow_id)
            self._ensure_idle(workflow)
            if self.repository.hard_delete(workflow_id, version=workflow.version):  # conditional: still idle, unchanged
                self.media.delete_workflow(workflow_id)
                return
        raise ConflictError("The workflow is being changed by several requests at once. Reload it and try again.")

    def read_media(self, *, user_id: str, key: str) -> bytes:
        """The bytes of a frame or video of one of the user's workflows."""
        self.get_workflow(user_id=user_id, workflow_id=workflow_of_key(key))
        return self.media.get_bytes(key)

    def open_media(self, *, user_id: str, key: str) -> StoredMedia:
        """A frame or video of one of the user's workflows, to stream whole or by byte range."""
        self.get_workflow(user_id=user_id, workflow_id=workflow_of_key(key))
        return self.media.open(key)

    # ---- refinement -------------------------------------------------------------------------

    def refine_prompt(
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
        current = self.get_workflow(user_id=user_id, workflow_id=workflow_id)
        refiner = self.models.refiner(model or current.model_selections.refinement)

        def start(workflow: VideoWorkflow) -> None:
            self._ensure_idle(workflow)  # first: a running job is named, whatever else is wrong
            rules.check_can_refine(workflow)
            self._begin(workflow, WorkflowAction.REFINE_PROMPT)
            workflow.model_selections.refinement = refiner.model_id

        with ChargeOnStart(self.limits, REFINEMENT, user_id=user_id, key_id=key_id) as usage:
            workflow = self._update(user_id, workflow_id, usage.guard(start))
        request = RefinementRequest(
            brief=_brief_of(workflow),
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
            self._fail(
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

        refined_workflow = self._update(user_id, workflow_id, complete)
        metrics.refinement_completed(model=refiner.model_id, cached=cached, seconds=elapsed_ms / 1000)
        return self._notify(refined_workflow, "workflow.step_completed", step=WorkflowStep.PROMPT_REFINEMENT)

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
        result = self._call(
            user_id, workflow_id, WorkflowStep.PROMPT_REFINEMENT, refiner, lambda: refiner.implementation.refine(request)
        )
        return result, result.provider or refiner.provider_name, None

    # ---- frames and video: durable jobs ---------------------------------------------------------

    def generate_frames(
        self,
        *,
        user_id: str,
        workflow_id: str,
        frame_count: int | None = None,
        model: str | None = None,
        idempotency_key: str | None = None,
        key_id: str | None = None,
    ) -> VideoWorkflow:
        """Generate the storyboard key frames in parallel; a retry makes only the missing ones."""
        count = frame_count if frame_count is not None else self.settings.DEFAULT_FRAME_COUNT
        check_int_range(count, field="Frame count", minimum=1, maximum=self.settings.MAX_FRAME_COUNT)
        current = self.get_workflow(user_id=user_id, workflow_id=workflow_id)
        generator = self.models.frame_generator(model or current.model_selections.frames)
        if generator.spec is not None:
            width, height = frame_size(current.metadata.aspect_ratio)
            check_frame(generator.spec, width=width, height=height, aspect_ratio=current.metadata.aspect_ratio)
        job_id = new_job_id()

        def start(workflow: VideoWorkflow) -> None:
            self._ensure_idle(workflow)  # first: a running job is named, whatever else is wrong
            rules.check_can_generate_frames(workflow)
            self._begin(workflow, WorkflowAction.GENERATE_FRAMES, job_id)
            workflow.model_selections.frames = generator.model_id
            rules.start_frame_plan(workflow, frame_count=count, seed=random.SystemRandom().randrange(1, 2**31))

        with self._charge_on_start(FRAMES, user_id, key_id, workflow_id, job_id) as usage:
            started = self._start_job(
                user_id,
                workflow_id,
                usage.guard(start),
                job_id=job_id,
                kind=JobKind.GENERATE_FRAMES,
                params={"frameCount": count, "model": generator.model_id, **_requested(generator)},
                idempotency_key=idempotency_key,
            )
        if current.current_step in REFINEMENT_STEPS:  # the prompt's first storyboard, not a retry or a replay
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
            self._ensure_idle(workflow)  # in the same conditional write: a job starting meanwhile makes this retry
            rules.apply_reviews(workflow, cleaned, now=self.clock())

        reviewed = self._update(user_id, workflow_id, review)
        metrics.frames_reviewed(review.approved for review in cleaned)
        return reviewed

    def regenerate_frames(
        self,
        *,
        user_id: str,
        workflow_id: str,
        frame_numbers: list[int],
        idempotency_key: str | None = None,
        key_id: str | None = None,
    ) -> VideoWorkflow:
        """Regenerate only the listed (rejected) frames, folding in their feedback, with the same model."""
        job_id = new_job_id()

        def start(workflow: VideoWorkflow) -> None:
            self._ensure_idle(workflow)  # first: a running job is named, whatever else is wrong
            rules.check_can_regenerate(workflow, frame_numbers)
            self._begin(workflow, WorkflowAction.REGENERATE_FRAMES, job_id)

        with self._charge_on_start(FRAMES, user_id, key_id, workflow_id, job_id) as usage:  # counts as frames
            return self._start_job(
                user_id,
                workflow_id,
                usage.guard(start),
                job_id=job_id,
                kind=JobKind.REGENERATE_FRAMES,
                params={"frameNumbers": sorted(set(frame_numbers))},
                idempotency_key=idempotency_key,
            )

    def restore_frame_version(self, *, user_id: str, workflow_id: str, frame_number: int, version: int) -> VideoWorkflow:
        """Make an earlier version of a frame current again (it then needs review)."""

        def restore(workflow: VideoWorkflow) -> None:
            self._ensure_idle(workflow)
            rules.restore_frame_version(workflow, frame_number, version, now=self.clock())

        return self._update(user_id, workflow_id, restore)

    def reopen_frames(self, *, user_id: str, workflow_id: str) -> VideoWorkflow:
        """Back to Frames after a failed or canceled video, or a finished one: frames can be reviewed and redone."""
        return self._update(
            user_id, workflow_id, lambda w: rules.reopen_frames(w, now=self.clock(), stale_after=self._stale_after)
        )

    def start_from_prompt(self, *, user_id: str, workflow_id: str) -> VideoWorkflow:
        """A new workflow whose prompt is this one's latest refined prompt, with the same brief and models."""
        source = self.get_workflow(user_id=user_id, workflow_id=workflow_id)
        if not source.final_refined_prompt:
            raise ValidationError("This workflow has no refined prompt yet. Refine it first.")
        meta, models = source.metadata, source.model_selections
        brief = NewWorkflow(
            title=source.title,
            initial_prompt=source.final_refined_prompt[: self.settings.MAX_PROMPT_LENGTH],
            target_audience=meta.target_audience,
            tone=meta.tone,
            duration=meta.duration,
            style=meta.style,
            aspect_ratio=meta.aspect_ratio,
            sound=meta.sound,
            campaign_id=source.campaign_id,
            refinement_model=models.refinement,
            frame_model=models.frames,
            video_model=models.video,
        )
        return self.create_workflow(user_id=user_id, brief=brief)

    def generate_video(
        self,
        *,
        user_id: str,
        workflow_id: str,
        model: str | None = None,
        duration: int | None = None,
        fps: int | None = None,
        idempotency_key: str | None = None,
        key_id: str | None = None,
    ) -> VideoWorkflow:
        """Render the final video from the approved frames."""
        s = self.settings
        current = self.get_workflow(user_id=user_id, workflow_id=workflow_id)
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
            self._ensure_idle(workflow)  # first: a running job is named, whatever else is wrong
            rules.check_can_generate_video(workflow)
            self._begin(workflow, WorkflowAction.GENERATE_VIDEO, job_id)
            workflow.model_selections.video = generator.model_id

        with self._charge_on_start(VIDEO, user_id, key_id, workflow_id, job_id) as usage:
            return self._start_job(
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
                idempotency_key=idempotency_key,
            )

    # ---- plumbing ---------------------------------------------------------------------------

    def without_limits(self) -> VideoWorkflowService:
        """This service charging no usage limits, for work the studio does on a user's behalf (the bundled examples)."""
        twin = copy.copy(self)
        twin.limits = None
        return twin

    def remaining_quota(self, *, user_id: str, operation: str = VIDEO) -> Quota:
        """What is left of the user's tightest limit of an operation (video by default) and when it frees up."""
        if self.limits is None:
            return Quota(operation, "no limit", remaining=1_000_000, resets_in_seconds=0, exempt=True)
        return self.limits.quota(operation, user_id=user_id)

    def _charge_on_start(
        self, operation: str, user_id: str, key_id: str | None, workflow_id: str, job_id: str
    ) -> ChargeOnStart:
        """Charge the operation once its start passes every check; refund unless the job was recorded."""

        def started() -> bool:
            if any(job.id == job_id for job in self.jobs.store.for_workflow(workflow_id)):
                return True
            current = self.repository.get(workflow_id)
            return current is not None and current.active_job_id == job_id

        return ChargeOnStart(self.limits, operation, user_id=user_id, key_id=key_id, started=started)

    def _ensure_idle(self, workflow: VideoWorkflow) -> None:
        rules.ensure_not_busy(workflow, now=self.clock(), stale_after=self._stale_after)

    def _begin(self, workflow: VideoWorkflow, action: WorkflowAction, job_id: str | None = None) -> None:
        rules.begin(workflow, action, now=self.clock(), stale_after=self._stale_after, job_id=job_id)

    def _update(self, user_id: str, workflow_id: str, mutate: Mutation) -> VideoWorkflow:
        """Apply mutate to fresh data and save conditionally; on a lost race, retry on fresher data."""
        for attempt in range(MAX_WRITE_ATTEMPTS):
            workflow = self.get_workflow(user_id=user_id, workflow_id=workflow_id)
            mutate(workflow)
            try:
                return self.repository.save(workflow)
            except ConflictError:
                # Exponential backoff with jitter: a writer that keeps losing steps out of the winner's rhythm.
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
        raise ConflictError("The workflow is being changed by several requests at once. Reload it and try again.")

    def _call(
        self, user_id: str, workflow_id: str, step: WorkflowStep, model: ResolvedModel, provider_call: Callable[[], T]
    ) -> T:
        """Run a provider call; a failure is recorded on the workflow and raised as StepFailedError."""
        try:
            return provider_call()
        except Exception as exc:  # noqa: BLE001 - any provider failure must leave the workflow retryable
            self.models.note_failure(model.model_id, exc)
            self._fail(user_id, workflow_id, step, model.provider_name, safe_message(model, exc))

    def _notify(self, workflow: VideoWorkflow, event_type: str, *, step: WorkflowStep) -> VideoWorkflow:
        """Tell the user's callback URLs (if any); a delivery problem never fails the step itself."""
        if self.events is not None:
            data = {
                "workflowId": workflow.id,
                "title": workflow.title,
                "step": step.value,
                "currentStep": workflow.current_step.value,
                "status": workflow.status.value,
            }
            if event_type == "workflow.failed" and workflow.errors:
                data["error"] = workflow.errors[-1].message
            try:
                self.events.emit(user_id=workflow.user_id, event_type=event_type, data=data)
            except Exception:  # noqa: BLE001 - the outbox is best effort next to the workflow itself
                log.exception("could not queue %s for workflow %s", event_type, workflow.id)
        return workflow

    def _fail(
        self, user_id: str, workflow_id: str, step: WorkflowStep, provider: str, message: str, *, job_id: str | None = None
    ) -> NoReturn:
        def record(workflow: VideoWorkflow) -> None:
            if job_id is not None and workflow.active_job_id != job_id:  # canceled or superseded: not its failure
                raise JobSupersededError(f"Workflow {workflow.id} has moved on from job {job_id}.")
            rules.record_failure(workflow, step=step, message=message, provider=provider, now=self.clock())

        failed = self._update(user_id, workflow_id, record)
        metrics.step_failed(step=step.value, provider=provider)
        self._notify(failed, "workflow.failed", step=step)
        raise StepFailedError(f"{message} You can retry this step.", step=step.value, provider=provider)


def _requested(model: ResolvedModel) -> dict[str, str]:
    """The job parameter naming the retired id that was asked for, when its successor runs (else nothing)."""
    return {"requestedModel": model.requested_id} if model.requested_id else {}


def new_job_id() -> str:
    """A fresh job id, chosen before the workflow is marked as processing under it."""
    return uuid.uuid4().hex


def _brief_of(workflow: VideoWorkflow) -> Brief:
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
