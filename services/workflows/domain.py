"""The domain model: a video workflow and its parts. Pure data, no I/O."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """Fields are snake_case in Python and camelCase in JSON and MongoDB, as in the spec."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_document(self) -> dict:
        """The camelCase dict stored in MongoDB (datetimes stay datetimes)."""
        return self.model_dump(by_alias=True, exclude=set(type(self).model_computed_fields))


class WorkflowStep(StrEnum):
    INITIAL_PROMPT = "INITIAL_PROMPT"
    PROMPT_REFINEMENT = "PROMPT_REFINEMENT"
    ADDITIONAL_INFO = "ADDITIONAL_INFO"
    FRAME_GENERATION = "FRAME_GENERATION"
    FRAME_REVIEW = "FRAME_REVIEW"
    VIDEO_GENERATION = "VIDEO_GENERATION"
    COMPLETED = "COMPLETED"


class WorkflowStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_USER_INPUT = "WAITING_USER_INPUT"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


REFRAME_MODES = ("crop", "blurred-pad")


class WorkflowMetadata(CamelModel):
    target_audience: str = ""
    tone: str = ""
    duration: int = 30
    style: str = ""
    aspect_ratio: str = "16:9"
    # How the video reaches a ratio its model cannot render (Veo at 1:1, 4:5, 21:9): crop the nearest native
    # ratio around the centred subject, or fit it whole over a blurred fill ("blurred-pad").
    reframe: str = "crop"
    sound: bool = True  # "Sound: on/off": video models that can make a soundtrack are asked for one (or not)


class ModelSelections(CamelModel):
    """The model id chosen for each generation step."""

    refinement: str
    frames: str
    video: str


class WorkflowLimits(CamelModel):
    """Caps fixed when the workflow was created, so a workflow knows its own limits."""

    max_refinement_iterations: int
    max_frame_regenerations: int


class RefinementIteration(CamelModel):
    iteration: int
    additional_info: str | None = None
    refined_prompt: str
    model: str  # the model that ran
    provider: str
    created_at: datetime
    requested_model: str | None = None  # the retired id that was asked for, when its successor ran
    duration_ms: int = 0
    cached: bool = False  # served from the prompt cache: no provider call, no cost
    cached_at: datetime | None = None  # when the cached answer was first made (cached rounds only)
    usage: dict[str, int] = Field(default_factory=dict)  # tokens the provider reported
    cost_usd: float = 0.0
    lab_run_id: str | None = None  # adopted from this Prompt Lab run ("Use this one")


class FrameVersion(CamelModel):
    """An earlier version of a frame, kept when the frame is regenerated."""

    version: int
    prompt: str
    image_key: str
    model: str
    provider: str
    seed: int
    feedback: str | None = None
    generated_at: datetime
    lab_comparison_id: str | None = None  # adopted from this Prompt Lab frame comparison


class GeneratedFrame(CamelModel):
    frame_number: int
    scene: str
    base_prompt: str
    prompt: str
    image_key: str
    width: int
    height: int
    model: str  # the model that ran
    provider: str
    seed: int
    requested_model: str | None = None  # the retired id that was asked for, when its successor ran
    approved: bool = False
    feedback: str | None = None
    version: int = 1
    regeneration_count: int = 0
    generated_at: datetime
    history: list[FrameVersion] = Field(default_factory=list)
    cost_usd: float = 0.0
    duration_ms: int = 0  # how long the provider took to make this version
    lab_comparison_id: str | None = None  # adopted from this Prompt Lab frame comparison


class VideoOutput(CamelModel):
    video_key: str
    model: str  # the model that ran
    provider: str
    duration: int
    requested_model: str | None = None  # the retired id that was asked for, when its successor ran
    sound: bool = False  # the provider was asked for a soundtrack
    fps: int
    width: int
    height: int
    frame_count: int
    size_bytes: int
    generated_at: datetime
    clips: int = 1  # provider clips joined into this video
    final_prompt: str = ""  # the prompt it was rendered from (the workflow's final refined prompt then)
    model_fps: int | None = None  # the rate the model rendered at (fps is the delivered one, converted from it)
    aspect_ratio: str | None = None  # the delivered ratio (the brief's)
    model_aspect_ratio: str | None = None  # the ratio the model rendered (its nearest native one)
    reframe: str | None = None  # how the model's ratio was brought to the brief's: crop or blurred-pad (None: not needed)
    cost_usd: float = 0.0
    duration_ms: int = 0  # how long the provider took to render it
    seed: int | None = None  # the seed a Prompt Lab variation was rendered with
    variation_set_id: str | None = None  # picked from this Prompt Lab video variation set


class ReviewTally(CamelModel):
    """Every frame review decision ever made on a workflow, for the frame approval rate."""

    approved: int = 0
    rejected: int = 0


class WorkflowError(CamelModel):
    step: WorkflowStep
    message: str
    provider: str | None = None
    occurred_at: datetime


class CostEstimate(CamelModel):
    """What a generation step will cost, from the registry's prices, before it runs."""

    step: WorkflowStep
    model: str
    provider: str
    amount_usd: float
    basis: str  # how the figure was made, e.g. "3 images x $0.0048"


class VideoWorkflow(CamelModel):
    id: str
    user_id: str
    campaign_id: str | None = None
    title: str
    initial_prompt: str
    metadata: WorkflowMetadata
    current_step: WorkflowStep = WorkflowStep.INITIAL_PROMPT
    status: WorkflowStatus = WorkflowStatus.IN_PROGRESS
    refinement_iterations: list[RefinementIteration] = Field(default_factory=list)
    final_refined_prompt: str | None = None
    planned_frame_count: int = 0
    frame_seed: int = 0
    generated_frames: list[GeneratedFrame] = Field(default_factory=list)
    frames_approved: bool = False
    frame_reviews: ReviewTally = Field(default_factory=ReviewTally)
    video_output: VideoOutput | None = None
    active_job_id: str | None = None
    model_selections: ModelSelections
    limits: WorkflowLimits
    errors: list[WorkflowError] = Field(default_factory=list)
    created_at: datetime
    last_activity: datetime
    deleted_at: datetime | None = None
    example: bool = False  # made by "Try an example" from a bundled brief, offline and free; deletable like any other
    total_cost_usd: float = 0.0  # running total of every provider call this workflow paid for
    frame_base: int = 0  # frames are numbered from 0; documents stored without this mark are migrated at start-up
    version: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def refinement_iterations_remaining(self) -> int:
        """How many more refinement rounds this workflow may run."""
        return max(0, self.limits.max_refinement_iterations - len(self.refinement_iterations))

    def frame(self, frame_number: int) -> GeneratedFrame | None:
        """The frame with this number, if it exists."""
        return next((f for f in self.generated_frames if f.frame_number == frame_number), None)


class WorkflowSummary(CamelModel):
    """One row of a workflow list: what the list shows, read through a projection (no history, prompts or frames)."""

    id: str
    user_id: str
    campaign_id: str | None = None
    title: str
    current_step: WorkflowStep
    status: WorkflowStatus
    planned_frame_count: int = 0
    frames_approved: bool = False
    active_job_id: str | None = None
    total_cost_usd: float = 0.0
    video_key: str | None = None
    created_at: datetime
    last_activity: datetime
