"""The analytics period, pipelines and report shaping, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.analytics.pipelines import MAX_PERIOD_DAYS, Period, analytics_pipeline, match_stage
from services.analytics.report import shape_report
from services.core.errors import ValidationError
from services.workflows.domain import WorkflowStep

S = WorkflowStep


def test_a_period_is_whole_utc_days_with_both_ends_included():
    period = Period(date(2025, 2, 27), date(2025, 3, 1))
    assert period.days == 3
    assert period.bounds == (datetime(2025, 2, 27, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC))
    assert period.each_day() == [date(2025, 2, 27), date(2025, 2, 28), date(2025, 3, 1)]


def test_the_last_seven_days_end_today():
    assert Period.last_days(7, today=date(2025, 3, 7)) == Period(date(2025, 3, 1), date(2025, 3, 7))


def test_a_backwards_or_overlong_period_is_refused_with_what_to_do():
    with pytest.raises(ValidationError, match="Swap the dates"):
        Period(date(2025, 3, 2), date(2025, 3, 1))
    with pytest.raises(ValidationError, match=f"at most {MAX_PERIOD_DAYS} days"):
        Period(date(2024, 1, 1), date(2025, 1, 1))


def test_the_match_keeps_deleted_workflows_and_scopes_to_a_user_only_when_asked():
    period = Period(date(2025, 3, 1), date(2025, 3, 1))
    everyone = match_stage(period, None)["$match"]
    assert everyone == {"createdAt": {"$gte": datetime(2025, 3, 1, tzinfo=UTC), "$lt": datetime(2025, 3, 2, tzinfo=UTC)}}
    assert match_stage(period, "u1")["$match"] == {"userId": "u1", **everyone}
    pipeline = analytics_pipeline(period, "u1")
    assert pipeline[0] == match_stage(period, "u1") and set(pipeline[1]["$facet"]) == {
        "summary",
        "creationsByDay",
        "generationTimes",
        "costsByModel",
        "costsByUser",
        "errors",
    }


def test_an_empty_result_is_an_empty_report_with_every_day_at_zero():
    report = shape_report({}, period=Period(date(2025, 3, 1), date(2025, 3, 2)), user_id="u1")
    assert report.is_empty and report.user_id == "u1"
    assert [(d.day, d.workflows) for d in report.creations_by_day] == [(date(2025, 3, 1), 0), (date(2025, 3, 2), 0)]
    assert report.average_refinement_iterations is None and report.frame_approval_rate is None
    assert [(r.step, r.attempts, r.rate) for r in report.error_rates] == [
        (S.PROMPT_REFINEMENT, 0, None),
        (S.FRAME_GENERATION, 0, None),
        (S.FRAME_REVIEW, 0, None),
        (S.VIDEO_GENERATION, 0, None),
    ]


def test_the_report_fills_missing_days_names_unknown_providers_and_rates_steps_without_successes():
    result = {
        "summary": [
            {
                "workflows": 3,
                "averageRefinementIterations": 1.5,
                "refinementRounds": 3,
                "framesApproved": 3,
                "framesRejected": 1,
                "videosMade": 1,
                "videoAttempts": 1,
                "totalCostUsd": 2.5,
            }
        ],
        "creationsByDay": [{"_id": "2025-03-01", "workflows": 1}, {"_id": "2025-03-03", "workflows": 2}],
        "errors": [
            {"_id": {"step": "INITIAL_PROMPT", "provider": None}, "errors": 2},
            {"_id": {"step": "PROMPT_REFINEMENT", "provider": "poe"}, "errors": 1},
        ],
        "generationTimes": [{"_id": {"kind": "video", "model": "veo-3"}, "count": 2, "averageMs": 10.0, "p95Ms": [12]}],
    }
    report = shape_report(result, period=Period(date(2025, 3, 1), date(2025, 3, 3)), user_id=None)
    assert [d.workflows for d in report.creations_by_day] == [1, 0, 2]
    assert report.creations_per_day == 1.0 and report.frame_approval_rate == 0.75 and report.video_success_rate == 1.0
    rates = {r.step: (r.successes, r.errors, r.rate) for r in report.error_rates}
    assert rates[S.INITIAL_PROMPT] == (0, 2, 1.0) and rates[S.PROMPT_REFINEMENT] == (3, 1, 0.25)
    assert report.error_rates[0].step is S.INITIAL_PROMPT  # in workflow order
    assert [(e.step, e.provider) for e in report.errors_by_provider][0] == (S.INITIAL_PROMPT, "unknown")
    assert [(t.model, t.p95_ms) for t in report.generation_times] == [("veo-3", 12.0)]
