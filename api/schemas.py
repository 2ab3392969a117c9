"""Request and response bodies of the REST API, in the spec's camelCase.

Requests forbid unknown fields, so server-owned fields (userId, status, framesApproved, ...) are a 422.
Responses carry no internal fields (seeds, versions, deletion marks) and add media URLs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from pydantic.alias_generators import to_camel

from services.studio.service import NewWorkflow
from services.workflows.domain import (
    ModelSelections,
    ReviewTally,
    VideoWorkflow,
    WorkflowError,
    WorkflowLimits,
    WorkflowMetadata,
    WorkflowStatus,
    WorkflowStep,
    WorkflowSummary,
)
from services.workflows.rules import FrameReview

# Hard caps that keep absurd input out before the service applies its configured, named limits.
Text = Annotated[str, Field(max_length=100_000)]
ShortText = Annotated[str, Field(max_length=1_000)]
ModelId = Annotated[str, Field(min_length=1, max_length=100)]
FrameNumber = Annotated[StrictInt, Field(ge=0, le=23)]  # numbered from 0, as in the spec; MAX_FRAME_COUNT is at most 24


class RequestModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


# ---- requests ---------------------------------------------------------------------------------


class MetadataIn(WorkflowMetadata):
    """The brief's metadata; the service checks lengths, duration and aspect ratio."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid", strict=True)


class ModelSelectionsIn(RequestModel):
    refinement: ModelId | None = None
    frames: ModelId | None = None
    video: ModelId | None = None


class CreateWorkflowRequest(RequestModel):
    title: Text
    initial_prompt: Text
    metadata: MetadataIn = Field(default_factory=MetadataIn)
    campaign_id: ShortText | None = None
    model_selections: ModelSelectionsIn | None = None

    def to_brief(self) -> NewWorkflow:
        """The service's brief."""
        models = self.model_selections or ModelSelectionsIn()
        meta = self.metadata
        return NewWorkflow(
            title=self.title,
            initial_prompt=self.initial_prompt,
            target_audience=meta.target_audience,
            tone=meta.tone,
            duration=meta.duration,
            style=meta.style,
            aspect_ratio=meta.aspect_ratio,
            reframe=meta.reframe,
            sound=meta.sound,
            campaign_id=self.campaign_id,
            refinement_model=models.refinement,
            frame_model=models.frames,
            video_model=models.video,
        )


class RefinePromptRequest(RequestModel):
    additional_info: Text | None = None
    model: ModelId | None = None
    fresh: StrictBool = False  # true: ask the model even when the prompt cache holds an identical request


class GenerateFramesRequest(RequestModel):
    frame_count: StrictInt | None = None
    model: ModelId | None = None


class FrameReviewIn(RequestModel):
    frame_number: FrameNumber
    approved: StrictBool
    feedback: Text | None = None


class ReviewFramesRequest(RequestModel):
    frame_reviews: Annotated[list[FrameReviewIn], Field(min_length=1, max_length=24)]

    def to_reviews(self) -> list[FrameReview]:
        """The service's review records."""
        return [FrameReview(r.frame_number, r.approved, r.feedback) for r in self.frame_reviews]


class RegenerateFramesRequest(RequestModel):
    frame_numbers: Annotated[list[FrameNumber], Field(min_length=1, max_length=24)]


class GenerateVideoRequest(RequestModel):
    model: ModelId | None = None
    duration: StrictInt | None = None
    fps: StrictInt | None = None


# ---- responses --------------------------------------------------------------------------------


class FrameVersionOut(ResponseModel):
    version: int
    prompt: str
    image_url: str
    model: str
    provider: str
    feedback: str | None = None
    generated_at: datetime
    lab_comparison_id: str | None = None  # adopted from this Prompt Lab frame comparison


class RefinementIterationOut(ResponseModel):
    """One refinement round, with the spec's field names (userPrompt, refinementModel, timestamp) beside ours."""

    iteration: int
    user_prompt: str  # the initial prompt for a round without notes, else that round's additional info
    refined_prompt: str
    refinement_model: str
    additional_info: str | None = None
    timestamp: datetime
    model: str  # the model that ran
    provider: str
    created_at: datetime
    requested_model: str | None = None  # the retired id that was asked for, when its successor ran
    duration_ms: int = 0
    cached: bool = False
    usage: dict[str, int] = Field(default_factory=dict)
    cost_usd: float = 0.0
    lab_run_id: str | None = None  # adopted from this Prompt Lab run ("Use this one")


class FrameOut(ResponseModel):
    frame_number: int  # from 0, as in the spec
    scene: str
    prompt: str
    image_url: str
    width: int
    height: int
    model: str  # the model that ran
    requested_model: str | None = None  # the retired id that was asked for, when its successor ran
    provider: str
    approved: bool
    feedback: str | None = None
    version: int
    regeneration_count: int
    generated_at: datetime
    timestamp: datetime  # the spec's name for generatedAt
    duration_ms: int = 0  # how long the provider took for this version
    lab_comparison_id: str | None = None  # adopted from this Prompt Lab frame comparison
    history: list[FrameVersionOut]


class VideoOut(ResponseModel):
    video_url: str
    model: str  # the model that ran
    requested_model: str | None = None  # the retired id that was asked for, when its successor ran
    sound: bool = False  # a soundtrack was asked for
    provider: str
    duration: int
    fps: int  # the delivered frame rate
    final_prompt: str  # the prompt the video was rendered from
    timestamp: datetime  # the spec's name for generatedAt
    model_fps: int | None = None  # the rate the model rendered at; fps was converted from it
    aspect_ratio: str | None = None  # the delivered ratio
    model_aspect_ratio: str | None = None  # the ratio the model rendered (reframed from it when it differs)
    reframe: str | None = None  # crop or blurred-pad, when the model's ratio was reframed
    width: int
    height: int
    frame_count: int
    size_bytes: int
    generated_at: datetime
    duration_ms: int = 0  # how long the provider took to render it
    seed: int | None = None  # the seed of a Prompt Lab variation
    variation_set_id: str | None = None  # picked from this Prompt Lab video variation set


class WorkflowResponse(ResponseModel):
    """A workflow as its owner sees it; media come as URLs under /api/media/."""

    id: str
    user_id: str
    campaign_id: str | None = None
    title: str
    initial_prompt: str
    metadata: WorkflowMetadata
    current_step: WorkflowStep
    status: WorkflowStatus
    refinement_iterations: list[RefinementIterationOut]
    refinement_iterations_remaining: int
    final_refined_prompt: str | None = None
    planned_frame_count: int
    generated_frames: list[FrameOut]
    frames_approved: bool
    frame_reviews: ReviewTally  # every approve/reject decision so far
    video_output: VideoOut | None = None
    model_selections: ModelSelections
    limits: WorkflowLimits
    errors: list[WorkflowError]
    active_job_id: str | None = None  # set while a generation job runs; follow it at .../job
    total_cost_usd: float = 0.0
    example: bool = False  # a bundled example made by "Try an example" (offline, free)
    created_at: datetime
    last_activity: datetime

    @classmethod
    def of(cls, workflow: VideoWorkflow, *, media_base: str) -> WorkflowResponse:
        """The public view of a workflow."""
        data = workflow.model_dump(exclude={"frame_seed", "deleted_at", "version"})
        for round_ in data["refinement_iterations"]:
            round_["user_prompt"] = round_["additional_info"] or workflow.initial_prompt
            round_["refinement_model"], round_["timestamp"] = round_["model"], round_["created_at"]
        for frame in data["generated_frames"]:
            frame["image_url"] = f"{media_base}/{frame['image_key']}"
            frame["timestamp"] = frame["generated_at"]
            for old in frame["history"]:
                old["image_url"] = f"{media_base}/{old['image_key']}"
        video = data["video_output"]
        if video is not None:
            video["video_url"] = f"{media_base}/{video['video_key']}"
            video["timestamp"] = video["generated_at"]
            video["final_prompt"] = video.get("final_prompt") or workflow.final_refined_prompt or ""
        return cls.model_validate(data)


class WorkflowSummaryOut(ResponseModel):
    """A list row: what a workflow is and where it stands. GET the workflow by id for prompts, frames and errors."""

    id: str
    user_id: str
    campaign_id: str | None = None
    title: str
    current_step: WorkflowStep
    status: WorkflowStatus
    planned_frame_count: int
    frames_approved: bool
    active_job_id: str | None = None
    total_cost_usd: float
    video_url: str | None = None
    created_at: datetime
    last_activity: datetime

    @classmethod
    def of(cls, summary: WorkflowSummary, *, media_base: str) -> WorkflowSummaryOut:
        """The public row (the video as a URL under /api/media/)."""
        data = summary.model_dump(exclude={"video_key"})
        data["video_url"] = f"{media_base}/{summary.video_key}" if summary.video_key else None
        return cls.model_validate(data)


class WorkflowListResponse(ResponseModel):
    items: list[WorkflowSummaryOut]
    total: int = Field(
        description="Exact: how many of your live workflows match the filter (counters kept with every create and delete)."
    )
    page: int
    page_size: int
