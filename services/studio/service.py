"""VideoWorkflowService: one method per use case from the spec, over collaborators that each own a part.

The facade keeps the method names pages, routes and scripts call; the work is done by the workflow writer
(get, versioned update, fail, notify), PromptRefinement, StepStarts, the job control and recovery, the
generation jobs, StepOptions and Adoptions. Each is built here from explicit dependencies.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from services.core import metrics
from services.core.clock import utc_now
from services.core.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from services.core.forwarding import forwards
from services.core.settings import ASPECT_RATIOS, Settings
from services.core.validation import check_int_range, check_page, clean_text
from services.jobs.control import JobControl, JobRecovery
from services.jobs.dispatch import JobDispatcher, JobHandlers
from services.jobs.frame_jobs import FrameJobs
from services.jobs.generation import GenerationSteps, JobStep
from services.jobs.runner import JobRunner
from services.jobs.store import JobKind
from services.jobs.video_job import VideoJob
from services.providers.registry import ModelRegistry, ModelRole
from services.storage.media_store import MediaStore, StoredMedia, workflow_of_key
from services.studio.step_starts import StepStarts, new_job_id
from services.workflows.adoption import Adoptions
from services.workflows.campaigns import CampaignService
from services.workflows.domain import (
    REFRAME_MODES,
    ModelSelections,
    VideoWorkflow,
    WorkflowLimits,
    WorkflowMetadata,
)
from services.workflows.new_workflow import NewWorkflow
from services.workflows.options import StepOptions
from services.workflows.prompt_cache import PromptCache
from services.workflows.refinement import PromptRefinement
from services.workflows.repository import SummaryPage, WorkflowPage, WorkflowRepository
from services.workflows.usage import VIDEO, Quota, UsageLimits
from services.workflows.writer import CONTENDED, MAX_WRITE_ATTEMPTS, EventSink, Mutation, WorkflowWriter

__all__ = ["NewWorkflow", "VideoWorkflowService", "Mutation", "new_job_id"]

DispatcherFactory = Callable[[JobHandlers], "JobDispatcher | None"]


class VideoWorkflowService:
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
        dispatch: DispatcherFactory | None = None,
        events: EventSink | None = None,
        campaigns: CampaignService | None = None,
        limits: UsageLimits | None = None,
        extra_job_steps: dict[JobKind, JobStep] | None = None,
    ) -> None:
        """dispatch builds the job dispatcher from the job handlers (None: jobs run inside the calling request)."""
        self._built_with: dict[str, Any] = dict(locals())  # for without_limits: the same parts, no limits
        del self._built_with["self"]
        self.repository, self.media, self.models, self.jobs = repository, media, models, jobs
        self.settings, self.clock, self.campaigns, self.limits = settings, clock, campaigns, limits
        self.writer = WorkflowWriter(
            repository=repository,
            models=models,
            clock=clock,
            stale_after=timedelta(seconds=settings.PROCESSING_STALE_AFTER_SECONDS),
            events=events,
        )
        self.generation = GenerationSteps(
            frames=FrameJobs(writer=self.writer, media=media, models=models, settings=settings, clock=clock),
            video=VideoJob(writer=self.writer, media=media, models=models, clock=clock),
            extra_steps=extra_job_steps,
        )
        self._built_with["extra_job_steps"] = self.generation.extra_steps  # shared with a twin
        self.recovery = JobRecovery(writer=self.writer, jobs=jobs, clock=clock, execute=self.generation.execute_job)
        handlers = JobHandlers(runner=jobs, execute=self.generation.execute_job, fail_abandoned=self.recovery.fail_abandoned)
        self.dispatcher = dispatch(handlers) if dispatch is not None else None
        self.control = JobControl(
            writer=self.writer,
            jobs=jobs,
            settings=settings,
            clock=clock,
            execute=self.generation.execute_job,
            dispatcher=self.dispatcher,
        )
        self.refinement = PromptRefinement(
            writer=self.writer, models=models, settings=settings, clock=clock, limits=limits, prompt_cache=prompt_cache
        )
        self.starts = StepStarts(
            writer=self.writer, control=self.control, models=models, settings=settings, clock=clock, limits=limits
        )
        self.options = StepOptions(settings=settings, models=models, writer=self.writer)
        self.adoptions = Adoptions(self.writer)

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
        return self.writer.get(user_id=user_id, workflow_id=workflow_id)

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
        check_page(page, page_size)
        return self.repository.list_for_user(user_id, campaign_id=campaign_id, page=page, page_size=page_size)

    def list_summaries(
        self, *, user_id: str, campaign_id: str | None = None, page: int = 1, page_size: int = 20
    ) -> SummaryPage:
        """The same list as list_workflows, as summaries (no history, prompts or frames) and an exact total."""
        check_page(page, page_size)
        return self.repository.list_summaries(user_id, campaign_id=campaign_id, page=page, page_size=page_size)

    def delete_workflow(self, *, user_id: str, workflow_id: str, hard: bool = False) -> None:
        """Soft delete (hidden from lists and reads) or, on request, remove it and its media; never while a job runs."""

        def soft(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)
            workflow.deleted_at = self.clock()

        if not hard:
            self.writer.update(user_id, workflow_id, soft)
            return
        for _ in range(MAX_WRITE_ATTEMPTS):
            workflow = self.writer.get(user_id=user_id, workflow_id=workflow_id)
            self.writer.ensure_idle(workflow)
            if self.repository.hard_delete(workflow_id, version=workflow.version):  # conditional: still idle, unchanged
                self.media.delete_workflow(workflow_id)
                return
        raise ConflictError(CONTENDED)

    def read_media(self, *, user_id: str, key: str) -> bytes:
        """The bytes of a frame or video of one of the user's workflows."""
        self.writer.get(user_id=user_id, workflow_id=workflow_of_key(key))
        return self.media.get_bytes(key)

    def open_media(self, *, user_id: str, key: str) -> StoredMedia:
        """A frame or video of one of the user's workflows, to stream whole or by byte range."""
        self.writer.get(user_id=user_id, workflow_id=workflow_of_key(key))
        return self.media.open(key)

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

    def remaining_quota(self, *, user_id: str, operation: str = VIDEO) -> Quota:
        """What is left of the user's tightest limit of an operation (video by default) and when it frees up."""
        if self.limits is None:
            return Quota(operation, "no limit", remaining=1_000_000, resets_in_seconds=0, exempt=True)
        return self.limits.quota(operation, user_id=user_id)

    def without_limits(self) -> VideoWorkflowService:
        """This service charging no usage limits, for work the studio does on a user's behalf (the bundled examples)."""
        # The same workers run the twin's jobs: its dispatcher is this one's.
        return VideoWorkflowService(**{**self._built_with, "limits": None, "dispatch": lambda _: self.dispatcher})

    def check_idle(self, workflow: VideoWorkflow) -> None:
        """Refuse work on a workflow while a generation runs on it (a long-stale one counts as crashed)."""
        self.writer.ensure_idle(workflow)

    # ---- the collaborators' use cases, under today's names (typed: forwards keeps each signature) ------------

    refine_prompt = forwards(PromptRefinement.refine, "refinement")
    generate_frames = forwards(StepStarts.generate_frames, "starts")
    review_frames = forwards(StepStarts.review_frames, "starts")
    regenerate_frames = forwards(StepStarts.regenerate_frames, "starts")
    restore_frame_version = forwards(StepStarts.restore_frame_version, "starts")
    reopen_frames = forwards(StepStarts.reopen_frames, "starts")
    generate_video = forwards(StepStarts.generate_video, "starts")
    latest_job = forwards(JobControl.latest_job, "control")
    progress = forwards(JobControl.progress, "control")
    follow = forwards(JobControl.follow, "control")
    cancel_generation = forwards(JobControl.cancel_generation, "control")
    submit_job = forwards(JobControl.submit_job, "control")
    run_queued_job = forwards(JobRecovery.run_queued_job, "recovery")
    reconcile = forwards(JobRecovery.reconcile, "recovery")
    fail_abandoned = forwards(JobRecovery.fail_abandoned, "recovery")
    execute_job = forwards(GenerationSteps.execute_job, "generation")
    register_job_step = forwards(GenerationSteps.register, "generation")
    video_options = forwards(StepOptions.video_options, "options")
    estimate_cost = forwards(StepOptions.estimate_cost, "options")
    adopt_refinement = forwards(Adoptions.adopt_refinement, "adoptions")
    adopt_frame_version = forwards(Adoptions.adopt_frame_version, "adoptions")
    pick_video = forwards(Adoptions.pick_video, "adoptions")
    add_cost = forwards(Adoptions.add_cost, "adoptions")
