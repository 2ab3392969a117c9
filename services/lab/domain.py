"""The Prompt Lab's records: refinement runs, frame comparisons and video variation sets. Pure data."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from services.workflows.domain import CamelModel, VideoOutput

MIN_MODELS, MAX_MODELS = 2, 4


class LabResult(CamelModel):
    """One model's answer in a lab run, with what it took and cost, and the user's rating."""

    model: str
    provider: str = ""
    refined_prompt: str = ""
    latency_ms: int = 0
    usage: dict[str, int] = Field(default_factory=dict)
    cost_usd: float = 0.0
    estimate_usd: float = 0.0
    error: str | None = None  # the provider failed; the other results still count
    starred: bool = False
    note: str = ""
    adopted_into: list[str] = Field(default_factory=list)  # workflow ids that took this result as an iteration

    @property
    def offline(self) -> bool:
        """True when the offline stand-in answered (no key for this model's provider)."""
        return self.provider == "offline"


class LabRun(CamelModel):
    """One brief refined by several models at once."""

    id: str
    user_id: str
    workflow_id: str | None = None  # the workflow whose current prompt was the brief, if any
    title: str
    brief: str
    additional_info: str | None = None
    models: list[str]
    results: list[LabResult]
    estimate_usd: float = 0.0
    total_cost_usd: float = 0.0
    elapsed_ms: int = 0  # wall time of the whole (parallel) run
    created_at: datetime

    def result(self, model: str) -> LabResult | None:
        """This run's result for model, if it ran."""
        return next((r for r in self.results if r.model == model), None)


class FrameCandidate(CamelModel):
    """One frame model's rendering of the frame's prompt."""

    model: str
    provider: str = ""
    image_key: str = ""
    seed: int
    seed_applied: bool = True  # False when the model takes no seed (the seed was sent, and ignored)
    latency_ms: int = 0
    cost_usd: float = 0.0
    error: str | None = None


class FrameComparison(CamelModel):
    """The same frame prompt on two frame models, side by side; one may be adopted as the frame's next version."""

    id: str
    user_id: str
    workflow_id: str
    frame_number: int
    prompt: str
    candidates: list[FrameCandidate]
    adopted_model: str | None = None
    total_cost_usd: float = 0.0
    created_at: datetime


class VideoVariation(CamelModel):
    """One rendering in a variation set; `video` is set once it finished."""

    index: int
    model: str
    seed: int
    fps: int
    duration: int
    estimate_usd: float = 0.0
    status: str = "QUEUED"  # QUEUED, SUCCEEDED or FAILED
    error: str | None = None
    video: VideoOutput | None = None


class VideoVariationSet(CamelModel):
    """Videos rendered from a workflow's approved frames with another model, seed or fps; one may be picked."""

    id: str
    user_id: str
    workflow_id: str
    job_id: str
    frame_keys: list[str]  # the approved frames at request time, so later frame changes do not leak in
    prompt: str
    variations: list[VideoVariation]
    picked_index: int | None = None
    created_at: datetime
