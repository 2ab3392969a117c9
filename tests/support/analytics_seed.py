"""Workflows with hand-picked figures for the analytics tests, stored as the app stores them.

`seed_team` writes four workflows of two users on the first, second, third and seventh day from `first_day`.
The figures they add up to are worked out by hand in the tests that use them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pymongo.database import Database

from services.workflows.domain import (
    GeneratedFrame,
    ModelSelections,
    RefinementIteration,
    ReviewTally,
    VideoOutput,
    VideoWorkflow,
    WorkflowError,
    WorkflowLimits,
    WorkflowMetadata,
    WorkflowStep,
)
from services.workflows.repository import MongoWorkflowRepository


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """A UTC instant on this day."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=UTC)


def refinement(model: str, ms: int, cost: float, *, cached: bool = False) -> RefinementIteration:
    return RefinementIteration(
        iteration=1,
        refined_prompt="refined",
        model=model,
        provider="poe",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        duration_ms=ms,
        cost_usd=cost,
        cached=cached,
    )


def frame(model: str, ms: int, cost: float, *, regenerations: int = 0) -> GeneratedFrame:
    return GeneratedFrame(
        frame_number=1,
        scene="Opening",
        base_prompt="p",
        prompt="p",
        image_key="k.png",
        width=1024,
        height=576,
        model=model,
        provider="replicate",
        seed=1,
        regeneration_count=regenerations,
        generated_at=datetime(2025, 1, 1, tzinfo=UTC),
        duration_ms=ms,
        cost_usd=cost,
    )


def video(model: str, ms: int, cost: float) -> VideoOutput:
    return VideoOutput(
        video_key="v.mp4",
        model=model,
        provider="replicate",
        duration=8,
        fps=24,
        width=1024,
        height=576,
        frame_count=192,
        size_bytes=1000,
        generated_at=datetime(2025, 1, 1, tzinfo=UTC),
        duration_ms=ms,
        cost_usd=cost,
    )


def error(step: WorkflowStep, provider: str | None) -> WorkflowError:
    return WorkflowError(step=step, message="it failed", provider=provider, occurred_at=datetime(2025, 1, 1, tzinfo=UTC))


def a_workflow(workflow_id: str, user_id: str, created_at: datetime, **parts: object) -> VideoWorkflow:
    """A workflow created at `created_at` with the given parts (refinement_iterations, generated_frames, ...)."""
    fields: dict = dict(
        id=workflow_id,
        user_id=user_id,
        title=workflow_id,
        initial_prompt="An idea",
        metadata=WorkflowMetadata(),
        model_selections=ModelSelections(refinement="gpt-4o", frames="stable-diffusion-xl", video="veo-3"),
        limits=WorkflowLimits(max_refinement_iterations=10, max_frame_regenerations=5),
        created_at=created_at,
        last_activity=created_at,
    )
    fields.update(parts)
    return VideoWorkflow(**fields)


def store(db: Database, *workflows: VideoWorkflow) -> None:
    """Insert the workflows as the app's repository does."""
    repository = MongoWorkflowRepository(db)
    for workflow in workflows:
        repository.insert(workflow)


def seed_team(db: Database, *, ann_id: str, bob_id: str, first_day: date) -> None:
    """Ann's two workflows (one soft-deleted) and Bob's two, over the first week from `first_day`."""
    day = [first_day + timedelta(days=offset) for offset in range(7)]
    store(
        db,
        a_workflow(
            "ann-complete",
            ann_id,
            at(day[0], 9),
            refinement_iterations=[refinement("gpt-4o", 1000, 0.02), refinement("gpt-4o", 3000, 0.04)],
            generated_frames=[
                frame("stable-diffusion-xl", 2000, 0.01, regenerations=1),
                frame("stable-diffusion-xl", 4000, 0.01),
            ],
            frame_reviews=ReviewTally(approved=2, rejected=1),
            video_output=video("veo-3", 60000, 3.00),
            errors=[error(WorkflowStep.FRAME_REVIEW, "replicate")],
            total_cost_usd=3.10,  # the 3.08 above plus the frame version that was regenerated away
        ),
        a_workflow(
            "ann-video-failed",
            ann_id,
            at(day[2], 23, 59, 59),
            refinement_iterations=[
                refinement("claude-3-opus-20240229", 2000, 0.05),
                refinement("gpt-4o", 0, 0.0, cached=True),
            ],
            generated_frames=[frame("dalle-3", 5000, 0.04)],
            frame_reviews=ReviewTally(approved=0, rejected=2),
            errors=[error(WorkflowStep.VIDEO_GENERATION, "replicate"), error(WorkflowStep.VIDEO_GENERATION, "replicate")],
            total_cost_usd=0.09,
            deleted_at=at(day[3]),
        ),
        a_workflow(
            "bob-refined",
            bob_id,
            at(day[1]),
            refinement_iterations=[refinement("gpt-4o", 5000, 0.03)],
            errors=[error(WorkflowStep.PROMPT_REFINEMENT, "poe")],
            total_cost_usd=0.03,
        ),
        a_workflow("bob-crashed", bob_id, at(day[6], 23), errors=[error(WorkflowStep.FRAME_GENERATION, None)]),
    )
