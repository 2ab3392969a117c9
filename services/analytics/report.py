"""The Analytics report: what the aggregation returned, shaped into named figures. Pure: no I/O."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from services.analytics.pipelines import Period
from services.workflows.domain import WorkflowStep

# What counts as one success at each step; the rate per step is errors / (successes + errors).
SUCCESSES_BY_STEP: dict[WorkflowStep, tuple[str, str]] = {
    WorkflowStep.PROMPT_REFINEMENT: ("refinementRounds", "refinement rounds completed"),
    WorkflowStep.FRAME_GENERATION: ("framesGenerated", "storyboard frames generated"),
    WorkflowStep.FRAME_REVIEW: ("frameRegenerations", "frames regenerated"),
    WorkflowStep.VIDEO_GENERATION: ("videosMade", "videos rendered"),
}
STEP_ORDER = list(WorkflowStep)


@dataclass(frozen=True)
class DayCount:
    day: date
    workflows: int


@dataclass(frozen=True)
class ModelTiming:
    kind: str  # refinement, frame or video
    model: str
    count: int
    average_ms: float
    p95_ms: float


@dataclass(frozen=True)
class StepErrorRate:
    step: WorkflowStep
    successes: int
    errors: int
    success_label: str  # what a success is at this step, in words

    @property
    def attempts(self) -> int:
        """Successes plus errors."""
        return self.successes + self.errors

    @property
    def rate(self) -> float | None:
        """Errors per attempt; None when nothing was attempted."""
        return self.errors / self.attempts if self.attempts else None


@dataclass(frozen=True)
class ProviderErrors:
    step: WorkflowStep
    provider: str  # "unknown" when the error named none (a crashed worker)
    errors: int


@dataclass(frozen=True)
class ModelCost:
    kind: str
    model: str
    count: int
    cost_usd: float


@dataclass(frozen=True)
class UserCost:
    user_id: str
    name: str
    username: str
    workflows: int
    cost_usd: float


@dataclass(frozen=True)
class AnalyticsReport:
    """Every figure of the Analytics page for one period and one scope (a user, or everyone)."""

    period: Period
    user_id: str | None  # None: every user's workflows
    workflows_created: int
    creations_by_day: list[DayCount]
    average_refinement_iterations: float | None
    frames_approved: int
    frames_rejected: int
    videos_made: int
    video_attempts: int
    total_cost_usd: float
    generation_times: list[ModelTiming]
    error_rates: list[StepErrorRate]
    errors_by_provider: list[ProviderErrors]
    costs_by_model: list[ModelCost]
    costs_by_user: list[UserCost]

    @property
    def is_empty(self) -> bool:
        """No workflow was created in the period (in this scope)."""
        return self.workflows_created == 0

    @property
    def creations_per_day(self) -> float:
        """Workflows created per day, averaged over the whole period."""
        return self.workflows_created / self.period.days

    @property
    def frame_approval_rate(self) -> float | None:
        """Approvals per review decision; None before any review."""
        decisions = self.frames_approved + self.frames_rejected
        return self.frames_approved / decisions if decisions else None

    @property
    def video_success_rate(self) -> float | None:
        """Workflows that got their video, per workflow that tried to render one; None when none tried."""
        return self.videos_made / self.video_attempts if self.video_attempts else None


def _creations_by_day(rows: list[dict], period: Period) -> list[DayCount]:
    counts = {row["_id"]: int(row["workflows"]) for row in rows}
    return [DayCount(day, counts.get(day.isoformat(), 0)) for day in period.each_day()]


def _timings(rows: list[dict]) -> list[ModelTiming]:
    return [
        ModelTiming(
            kind=row["_id"]["kind"],
            model=row["_id"]["model"],
            count=int(row["count"]),
            average_ms=float(row["averageMs"]),
            p95_ms=float(row["p95Ms"][0]),
        )
        for row in rows
    ]


def _error_rates(summary: dict, error_rows: list[dict]) -> list[StepErrorRate]:
    errors: Counter[WorkflowStep] = Counter()
    for row in error_rows:
        errors[WorkflowStep(row["_id"]["step"])] += int(row["errors"])
    rates = []
    for step in sorted(set(SUCCESSES_BY_STEP) | set(errors), key=STEP_ORDER.index):
        field, label = SUCCESSES_BY_STEP.get(step, ("", "nothing counts as a success at this step"))
        rates.append(
            StepErrorRate(step=step, successes=int(summary.get(field, 0)), errors=errors[step], success_label=label)
        )
    return rates


def _errors_by_provider(rows: list[dict]) -> list[ProviderErrors]:
    return [
        ProviderErrors(
            step=WorkflowStep(row["_id"]["step"]),
            provider=row["_id"].get("provider") or "unknown",
            errors=int(row["errors"]),
        )
        for row in rows
    ]


def _costs_by_model(rows: list[dict]) -> list[ModelCost]:
    return [
        ModelCost(
            kind=row["_id"]["kind"], model=row["_id"]["model"], count=int(row["count"]), cost_usd=float(row["costUsd"])
        )
        for row in rows
    ]


def _costs_by_user(rows: list[dict]) -> list[UserCost]:
    return [
        UserCost(
            user_id=row["_id"],
            name=row.get("name") or "(deleted user)",
            username=row.get("username") or "",
            workflows=int(row["workflows"]),
            cost_usd=float(row["costUsd"]),
        )
        for row in rows
    ]


def shape_report(result: dict, *, period: Period, user_id: str | None) -> AnalyticsReport:
    """The report from the pipeline's one result document (an empty dict when nothing matched)."""
    summary = (result.get("summary") or [{}])[0]
    average = summary.get("averageRefinementIterations")
    return AnalyticsReport(
        period=period,
        user_id=user_id,
        workflows_created=int(summary.get("workflows", 0)),
        creations_by_day=_creations_by_day(result.get("creationsByDay", []), period),
        average_refinement_iterations=None if average is None else float(average),
        frames_approved=int(summary.get("framesApproved", 0)),
        frames_rejected=int(summary.get("framesRejected", 0)),
        videos_made=int(summary.get("videosMade", 0)),
        video_attempts=int(summary.get("videoAttempts", 0)),
        total_cost_usd=float(summary.get("totalCostUsd", 0.0)),
        generation_times=_timings(result.get("generationTimes", [])),
        error_rates=_error_rates(summary, result.get("errors", [])),
        errors_by_provider=_errors_by_provider(result.get("errors", [])),
        costs_by_model=_costs_by_model(result.get("costsByModel", [])),
        costs_by_user=_costs_by_user(result.get("costsByUser", [])),
    )
