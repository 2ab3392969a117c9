"""Request and response bodies of the Prompt Lab API, in camelCase. Requests forbid unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, model_validator

from api.schemas import ModelId, RequestModel, ResponseModel, Text
from services.lab.domain import FrameComparison, LabRun, VideoVariationSet

WorkflowRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class LabRunRequest(RequestModel):
    workflow_id: WorkflowRef | None = None
    brief: Text | None = None
    title: Annotated[str, Field(max_length=1_000)] | None = None
    models: Annotated[list[ModelId], Field(min_length=2, max_length=4)]
    additional_info: Text | None = None

    @model_validator(mode="after")
    def _one_source(self) -> LabRunRequest:
        if (self.workflow_id is None) == (self.brief is None):
            raise ValueError("give either workflowId or brief")
        return self


class AdoptRequest(RequestModel):
    model: ModelId
    workflow_id: WorkflowRef


class StartWorkflowRequest(RequestModel):
    model: ModelId
    title: Annotated[str, Field(max_length=1_000)] | None = None


class RateRequest(RequestModel):
    model: ModelId
    starred: StrictBool | None = None
    note: Text | None = None


class FrameComparisonRequest(RequestModel):
    workflow_id: WorkflowRef
    frame_number: Annotated[StrictInt, Field(ge=0, le=24)]
    models: Annotated[list[ModelId], Field(min_length=2, max_length=2)] | None = None


class AdoptFrameRequest(RequestModel):
    model: ModelId


class VariationIn(RequestModel):
    model: ModelId | None = None
    seed: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)] | None = None
    fps: StrictInt | None = None
    duration: StrictInt | None = None


class VideoVariationsRequest(RequestModel):
    workflow_id: WorkflowRef
    variations: Annotated[list[VariationIn], Field(min_length=1, max_length=2)]


class PickVideoRequest(RequestModel):
    index: Annotated[StrictInt, Field(ge=0, le=1)]


class EstimateOut(ResponseModel):
    model: str
    provider: str
    amount_usd: float
    basis: str


class LabResultOut(ResponseModel):
    model: str
    provider: str
    offline: bool
    refined_prompt: str
    latency_ms: int
    usage: dict[str, int]
    cost_usd: float
    estimate_usd: float
    error: str | None = None
    starred: bool
    note: str
    adopted_into: list[str]


class LabRunOut(ResponseModel):
    id: str
    workflow_id: str | None = None
    title: str
    brief: str
    additional_info: str | None = None
    models: list[str]
    results: list[LabResultOut]
    estimate_usd: float
    total_cost_usd: float
    elapsed_ms: int
    created_at: datetime

    @classmethod
    def of(cls, run: LabRun) -> LabRunOut:
        """The public view of a run (its owner is the caller)."""
        data = run.model_dump(exclude={"user_id"})
        for result, source in zip(data["results"], run.results, strict=True):
            result["offline"] = source.offline
        return cls.model_validate(data)


class LabRunListOut(ResponseModel):
    items: list[LabRunOut]
    total: int
    page: int
    page_size: int


class FrameCandidateOut(ResponseModel):
    model: str
    provider: str
    image_url: str | None = None
    seed: int
    seed_applied: bool
    latency_ms: int
    cost_usd: float
    error: str | None = None


class FrameComparisonOut(ResponseModel):
    id: str
    workflow_id: str
    frame_number: int
    prompt: str
    candidates: list[FrameCandidateOut]
    adopted_model: str | None = None
    total_cost_usd: float
    created_at: datetime

    @classmethod
    def of(cls, comparison: FrameComparison, *, media_base: str) -> FrameComparisonOut:
        """The public view, with media URLs under the owner's media route."""
        data = comparison.model_dump(exclude={"user_id"})
        for candidate in data["candidates"]:
            candidate["image_url"] = f"{media_base}/{candidate['image_key']}" if candidate["image_key"] else None
        return cls.model_validate(data)


class VariationOut(ResponseModel):
    index: int
    model: str
    seed: int
    fps: int
    duration: int
    estimate_usd: float
    status: str
    error: str | None = None
    video_url: str | None = None
    cost_usd: float | None = None
    provider: str | None = None
    latency_ms: int | None = None


class VideoVariationSetOut(ResponseModel):
    id: str
    workflow_id: str
    job_id: str
    variations: list[VariationOut]
    picked_index: int | None = None
    created_at: datetime

    @classmethod
    def of(cls, variation_set: VideoVariationSet, *, media_base: str) -> VideoVariationSetOut:
        """The public view: each finished variation's URL, cost, provider and render time."""
        items = []
        for variation in variation_set.variations:
            item = variation.model_dump(exclude={"video"})
            if variation.video is not None:
                item["video_url"] = f"{media_base}/{variation.video.video_key}"
                item["cost_usd"] = variation.video.cost_usd
                item["provider"] = variation.video.provider
                item["latency_ms"] = variation.video.duration_ms
            items.append(item)
        data = variation_set.model_dump(include={"id", "workflow_id", "job_id", "picked_index", "created_at"})
        return cls.model_validate({**data, "variations": items})
