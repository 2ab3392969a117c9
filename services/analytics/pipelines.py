"""The Analytics page's MongoDB aggregation pipelines. Pure: they only build documents; the server runs them.

Every figure covers the workflows *created* in the period (their later work included), soft-deleted ones too:
they were real work and cost real money. One pipeline answers everything: a `$match` on `createdAt` (and
`userId` when scoped to one user), then a `$facet` with one sub-pipeline per figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.core.errors import ValidationError
from services.workflows.domain import WorkflowStep

MAX_PERIOD_DAYS = 366
P95 = 0.95


@dataclass(frozen=True)
class Period:
    """Whole UTC days from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError(f"The period ends ({self.end}) before it starts ({self.start}). Swap the dates.")
        if self.days > MAX_PERIOD_DAYS:
            raise ValidationError(f"The period is {self.days} days long; pick at most {MAX_PERIOD_DAYS} days.")

    @classmethod
    def last_days(cls, days: int, *, today: date) -> Period:
        """The `days` days that end today (today included)."""
        return cls(start=today - timedelta(days=days - 1), end=today)

    @property
    def days(self) -> int:
        """How many days the period spans."""
        return (self.end - self.start).days + 1

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[first instant, first instant after the period) in UTC."""
        start = datetime.combine(self.start, time.min, tzinfo=UTC)
        return start, start + timedelta(days=self.days)

    def each_day(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=offset) for offset in range(self.days)]


def _array(field: str) -> dict:
    """The array field, or [] when it is missing or null."""
    return {"$ifNull": [f"${field}", []]}


def _number(path: str) -> dict:
    """The numeric field, or 0 when it is missing or null."""
    return {"$ifNull": [path, 0]}


def _each(array: str, field: str) -> dict:
    """The field of every element of the array (SecantusDB does not resolve `$array.field` in expressions)."""
    return {"$map": {"input": _array(array), "as": "item", "in": f"$$item.{field}"}}


def _exists(path: str) -> dict:
    """True when the field is present and not null."""
    return {"$ne": [{"$ifNull": [path, None]}, None]}


def _errors_at(step: WorkflowStep) -> dict:
    """How many of the workflow's errors happened at this step."""
    return {"$size": {"$filter": {"input": _array("errors"), "as": "e", "cond": {"$eq": ["$$e.step", step.value]}}}}


def match_stage(period: Period, user_id: str | None) -> dict:
    """Workflows created in the period (deleted ones included), of one user or of everyone."""
    start, end = period.bounds
    query: dict = {"createdAt": {"$gte": start, "$lt": end}}
    if user_id is not None:
        query = {"userId": user_id, **query}  # served by the userId + createdAt index
    return {"$match": query}


def summary_facet() -> list[dict]:
    """One row of totals: workflows, refinement rounds, review tallies, frames, videos and costs."""
    video_attempted = {"$or": [_exists("$videoOutput"), {"$gt": [_errors_at(WorkflowStep.VIDEO_GENERATION), 0]}]}
    return [
        {
            "$group": {
                "_id": None,
                "workflows": {"$sum": 1},
                "averageRefinementIterations": {"$avg": {"$size": _array("refinementIterations")}},
                "refinementRounds": {"$sum": {"$size": _array("refinementIterations")}},
                "framesGenerated": {"$sum": {"$size": _array("generatedFrames")}},
                "frameRegenerations": {"$sum": {"$sum": _each("generatedFrames", "regenerationCount")}},
                "framesApproved": {"$sum": _number("$frameReviews.approved")},
                "framesRejected": {"$sum": _number("$frameReviews.rejected")},
                "videosMade": {"$sum": {"$cond": [_exists("$videoOutput"), 1, 0]}},
                "videoAttempts": {"$sum": {"$cond": [video_attempted, 1, 0]}},
                "totalCostUsd": {"$sum": _number("$totalCostUsd")},
            }
        }
    ]


def creations_by_day_facet() -> list[dict]:
    """Workflows created per UTC day (days with none are absent; the report fills them in)."""
    day = {"$dateToString": {"format": "%Y-%m-%d", "date": "$createdAt", "timezone": "UTC"}}
    return [{"$group": {"_id": day, "workflows": {"$sum": 1}}}, {"$sort": {"_id": 1}}]


def _generation(kind: str, prefix: str) -> dict:
    return {
        "kind": kind,
        "model": f"{prefix}.model",
        "durationMs": f"{prefix}.durationMs",
        "costUsd": _number(f"{prefix}.costUsd"),
    }


def _unwound_generations() -> list[dict]:
    """One document per provider generation of a workflow: {generation: {kind, model, durationMs, costUsd}}.

    Refinement rounds answered from the prompt cache are left out: no provider ran. Frames are the current
    versions (earlier versions carry neither duration nor cost).
    """
    provider_rounds = {
        "$filter": {"input": _array("refinementIterations"), "as": "r", "cond": {"$ne": ["$$r.cached", True]}}
    }
    generations = {
        "$concatArrays": [
            {"$map": {"input": provider_rounds, "as": "r", "in": _generation("refinement", "$$r")}},
            {"$map": {"input": _array("generatedFrames"), "as": "f", "in": _generation("frame", "$$f")}},
            {"$cond": [_exists("$videoOutput"), [_generation("video", "$videoOutput")], []]},
        ]
    }
    return [{"$project": {"generation": generations}}, {"$unwind": "$generation"}]


def generation_times_facet() -> list[dict]:
    """Per step kind and model: how many timed generations, their mean and p95 duration in ms."""
    timed = {"$match": {"generation.durationMs": {"$type": "number"}}}  # records from before durations were kept
    return [
        *_unwound_generations(),
        timed,
        {
            "$group": {
                "_id": {"kind": "$generation.kind", "model": "$generation.model"},
                "count": {"$sum": 1},
                "averageMs": {"$avg": "$generation.durationMs"},
                "p95Ms": {"$percentile": {"input": "$generation.durationMs", "p": [P95], "method": "approximate"}},
            }
        },
        {"$sort": {"_id.kind": 1, "_id.model": 1}},
    ]


def costs_by_model_facet() -> list[dict]:
    """Per step kind and model: generations and what they cost."""
    return [
        *_unwound_generations(),
        {
            "$group": {
                "_id": {"kind": "$generation.kind", "model": "$generation.model"},
                "count": {"$sum": 1},
                "costUsd": {"$sum": "$generation.costUsd"},
            }
        },
        {"$sort": {"_id.kind": 1, "_id.model": 1}},
    ]


def costs_by_user_facet() -> list[dict]:
    """Per user: workflows and their running totals (`totalCostUsd`), with the user's name from `users`."""
    return [
        {"$group": {"_id": "$userId", "workflows": {"$sum": 1}, "costUsd": {"$sum": _number("$totalCostUsd")}}},
        {"$lookup": {"from": "users", "localField": "_id", "foreignField": "_id", "as": "user"}},
        {"$unwind": {"path": "$user", "preserveNullAndEmptyArrays": True}},  # a deleted account has no match
        {"$project": {"workflows": 1, "costUsd": 1, "name": "$user.name", "username": "$user.username"}},
        {"$sort": {"costUsd": -1, "_id": 1}},
    ]


def errors_facet() -> list[dict]:
    """Errors per step and provider."""
    return [
        {"$unwind": "$errors"},
        {"$group": {"_id": {"step": "$errors.step", "provider": "$errors.provider"}, "errors": {"$sum": 1}}},
        {"$sort": {"_id.step": 1, "_id.provider": 1}},
    ]


FACETS = {
    "summary": summary_facet,
    "creationsByDay": creations_by_day_facet,
    "generationTimes": generation_times_facet,
    "costsByModel": costs_by_model_facet,
    "costsByUser": costs_by_user_facet,
    "errors": errors_facet,
}


def analytics_pipeline(period: Period, user_id: str | None) -> list[dict]:
    """The whole report in one round trip: one document with a list per facet."""
    return [match_stage(period, user_id), {"$facet": {name: build() for name, build in FACETS.items()}}]
