"""The analytics figures, computed by the real database from seeded workflows whose figures are worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pymongo.database import Database

from services.accounts.admins import ADMIN_ROLE
from services.accounts.users import User, UserService, ensure_user_indexes
from services.analytics.pipelines import Period
from services.analytics.report import AnalyticsReport
from services.analytics.service import AnalyticsService
from services.core.clock import utc_now
from services.core.errors import ForbiddenError
from services.workflows.domain import WorkflowStep
from tests.support.analytics_seed import a_workflow, at, refinement, seed_team, store

FIRST_DAY = date(2025, 3, 1)
WEEK = Period(start=FIRST_DAY, end=date(2025, 3, 7))
S = WorkflowStep


@pytest.fixture
def users(db: Database) -> UserService:
    ensure_user_indexes(db)
    return UserService(db, clock=utc_now, bcrypt_rounds=4)


@pytest.fixture
def team(db: Database, users: UserService) -> dict[str, User]:
    """Ann and Bob with the seeded week, and Root, an admin with no workflows of their own."""
    people = {
        "ann": users.register(username="ann", password="long password", name="Ann Archer"),
        "bob": users.register(username="bob", password="long password", name="Bob Baker"),
        "root": users.register(username="root", password="long password", name="Root Admin", roles=[ADMIN_ROLE]),
    }
    seed_team(db, ann_id=people["ann"].id, bob_id=people["bob"].id, first_day=FIRST_DAY)
    return people


@pytest.fixture
def analytics(db: Database, users: UserService) -> AnalyticsService:
    return AnalyticsService(db, users=users)


def timings(report: AnalyticsReport) -> dict[tuple[str, str], tuple[int, float, float]]:
    return {(t.kind, t.model): (t.count, t.average_ms, t.p95_ms) for t in report.generation_times}


def error_rates(report: AnalyticsReport) -> dict[WorkflowStep, tuple[int, int]]:
    return {r.step: (r.errors, r.attempts) for r in report.error_rates}


def model_costs(report: AnalyticsReport) -> dict[tuple[str, str], tuple[int, float]]:
    return {(c.kind, c.model): (c.count, round(c.cost_usd, 6)) for c in report.costs_by_model}


def test_an_admin_sees_every_figure_of_everyones_workflows_in_the_period(analytics, team):
    report = analytics.report(viewer_id=team["root"].id, period=WEEK)

    assert report.user_id is None
    assert report.workflows_created == 4  # the soft-deleted one counts: it was real work
    assert [d.workflows for d in report.creations_by_day] == [1, 1, 1, 0, 0, 0, 1]
    assert report.creations_by_day[0].day == FIRST_DAY and report.creations_by_day[-1].day == date(2025, 3, 7)
    assert report.creations_per_day == pytest.approx(4 / 7)
    assert report.average_refinement_iterations == pytest.approx((2 + 2 + 1 + 0) / 4)
    assert (report.frames_approved, report.frames_rejected) == (2, 3)
    assert report.frame_approval_rate == pytest.approx(2 / 5)
    assert (report.videos_made, report.video_attempts) == (1, 2)
    assert report.video_success_rate == pytest.approx(0.5)
    assert report.total_cost_usd == pytest.approx(3.10 + 0.09 + 0.03)


def test_generation_times_are_the_mean_and_p95_per_model_without_cache_hits(analytics, team):
    report = analytics.report(viewer_id=team["root"].id, period=WEEK)

    assert timings(report) == {
        ("frame", "dalle-3"): (1, 5000.0, 5000.0),
        ("frame", "stable-diffusion-xl"): (2, 3000.0, 4000.0),
        ("refinement", "claude-3-opus-20240229"): (1, 2000.0, 2000.0),
        ("refinement", "gpt-4o"): (3, 3000.0, 5000.0),  # 1000, 3000, 5000; the cached round is left out
        ("video", "veo-3"): (1, 60000.0, 60000.0),
    }


def test_the_error_rate_per_step_is_errors_over_successes_plus_errors(analytics, team):
    report = analytics.report(viewer_id=team["root"].id, period=WEEK)

    assert error_rates(report) == {
        S.PROMPT_REFINEMENT: (1, 5 + 1),  # 5 rounds (cache hits included) and Bob's failed one
        S.FRAME_GENERATION: (1, 3 + 1),  # 3 frames and Bob's crashed worker
        S.FRAME_REVIEW: (1, 1 + 1),  # 1 regeneration
        S.VIDEO_GENERATION: (2, 1 + 2),  # 1 video, 2 failed renders
    }
    assert [r.step for r in report.error_rates] == [
        S.PROMPT_REFINEMENT,
        S.FRAME_GENERATION,
        S.FRAME_REVIEW,
        S.VIDEO_GENERATION,
    ]
    rate = {r.step: r.rate for r in report.error_rates}
    assert rate[S.VIDEO_GENERATION] == pytest.approx(2 / 3) and rate[S.PROMPT_REFINEMENT] == pytest.approx(1 / 6)
    assert {(e.step, e.provider): e.errors for e in report.errors_by_provider} == {
        (S.FRAME_GENERATION, "unknown"): 1,
        (S.FRAME_REVIEW, "replicate"): 1,
        (S.PROMPT_REFINEMENT, "poe"): 1,
        (S.VIDEO_GENERATION, "replicate"): 2,
    }


def test_costs_add_up_by_model_and_by_user_with_the_users_names(analytics, team):
    report = analytics.report(viewer_id=team["root"].id, period=WEEK)

    assert model_costs(report) == {
        ("frame", "dalle-3"): (1, 0.04),
        ("frame", "stable-diffusion-xl"): (2, 0.02),
        ("refinement", "claude-3-opus-20240229"): (1, 0.05),
        ("refinement", "gpt-4o"): (3, 0.09),
        ("video", "veo-3"): (1, 3.00),
    }
    assert [(c.name, c.username, c.workflows, round(c.cost_usd, 6)) for c in report.costs_by_user] == [
        ("Ann Archer", "ann", 2, 3.19),
        ("Bob Baker", "bob", 2, 0.03),
    ]


def test_workflows_created_outside_the_period_are_left_out(db, analytics, team):
    ann = team["ann"].id
    store(
        db,
        a_workflow(
            "just-before",
            ann,
            at(FIRST_DAY - timedelta(days=1), 23, 59, 59),
            refinement_iterations=[refinement("gpt-4o", 9000, 9.0)] * 4,
            total_cost_usd=36.0,
        ),
        a_workflow("just-after", ann, at(date(2025, 3, 8), 0), total_cost_usd=50.0),
    )

    week = analytics.report(viewer_id=team["root"].id, period=WEEK)
    assert week.workflows_created == 4 and week.total_cost_usd == pytest.approx(3.22)
    assert ("refinement", "gpt-4o") in timings(week) and timings(week)[("refinement", "gpt-4o")][0] == 3

    first_day_only = analytics.report(viewer_id=team["root"].id, period=Period(FIRST_DAY, FIRST_DAY))
    assert first_day_only.workflows_created == 1
    assert [c.workflows for c in first_day_only.creations_by_day] == [1]
    assert first_day_only.total_cost_usd == pytest.approx(3.10)

    last_day = analytics.report(viewer_id=team["root"].id, period=Period(date(2025, 3, 7), date(2025, 3, 8)))
    assert [c.workflows for c in last_day.creations_by_day] == [1, 1]  # 23:00 on the 7th, midnight on the 8th


def test_a_user_sees_only_their_own_figures(analytics, team):
    report = analytics.report(viewer_id=team["ann"].id, period=WEEK)

    assert report.user_id == team["ann"].id
    assert report.workflows_created == 2
    assert report.average_refinement_iterations == pytest.approx(2.0)
    assert report.video_success_rate == pytest.approx(0.5)
    assert report.total_cost_usd == pytest.approx(3.19)
    assert [c.username for c in report.costs_by_user] == ["ann"]
    assert error_rates(report)[S.PROMPT_REFINEMENT] == (0, 4)  # Bob's failure is not Ann's
    assert ("refinement", "gpt-4o") in timings(report) and timings(report)[("refinement", "gpt-4o")][0] == 2


def test_a_user_cannot_ask_for_another_users_figures_or_the_list_of_users(analytics, team):
    with pytest.raises(ForbiddenError, match="Only admins"):
        analytics.report(viewer_id=team["bob"].id, period=WEEK, user_id=team["ann"].id)
    with pytest.raises(ForbiddenError):
        analytics.people(viewer_id=team["bob"].id)
    assert analytics.report(viewer_id=team["bob"].id, period=WEEK, user_id=team["bob"].id).workflows_created == 2
    assert not analytics.can_see_everyone(viewer_id=team["bob"].id)


def test_an_admin_can_narrow_the_figures_to_one_user(analytics, team):
    report = analytics.report(viewer_id=team["root"].id, period=WEEK, user_id=team["bob"].id)

    assert report.user_id == team["bob"].id
    assert report.workflows_created == 2
    assert report.average_refinement_iterations == pytest.approx(0.5)
    assert report.frame_approval_rate is None and report.video_success_rate is None  # nothing reviewed or rendered
    assert [(c.username, round(c.cost_usd, 6)) for c in report.costs_by_user] == [("bob", 0.03)]
    assert [p.username for p in analytics.people(viewer_id=team["root"].id)] == ["ann", "bob", "root"]


def test_a_revoked_admin_is_back_to_their_own_figures(analytics, users, team):
    users.set_role(username="root", role=ADMIN_ROLE, granted=False)
    report = analytics.report(viewer_id=team["root"].id, period=WEEK)
    assert report.user_id == team["root"].id and report.is_empty


def test_a_period_without_workflows_is_empty_with_no_rates(analytics, team):
    report = analytics.report(viewer_id=team["root"].id, period=Period(date(2024, 1, 1), date(2024, 1, 3)))

    assert report.is_empty and report.workflows_created == 0
    assert [d.workflows for d in report.creations_by_day] == [0, 0, 0]
    assert report.average_refinement_iterations is None
    assert report.frame_approval_rate is None and report.video_success_rate is None
    assert all(r.rate is None for r in report.error_rates)
    assert report.generation_times == [] and report.costs_by_model == [] and report.costs_by_user == []


def test_the_cost_of_a_removed_account_still_counts_under_a_placeholder_name(db, analytics, team):
    store(db, a_workflow("orphan", "no-such-user", at(FIRST_DAY, 8), total_cost_usd=1.5))
    report = analytics.report(viewer_id=team["root"].id, period=WEEK)
    assert ("(deleted user)", 1, 1.5) in [(c.name, c.workflows, c.cost_usd) for c in report.costs_by_user]
