"""The Analytics page through AppTest: own figures for a user, everyone's (or one user's) for an admin, empty state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.accounts.admins import ADMIN_ROLE
from services.accounts.users import User
from services.bootstrap import Runtime
from services.core.clock import utc_now
from tests.support.analytics_seed import seed_team
from tests.support.ui_fixtures import open_app

ANALYTICS = "app_pages/analytics.py"


@pytest.fixture
def team(runtime: Runtime, make_user) -> dict[str, User]:
    """Ann and Bob with the seeded week (from ten days ago to four days ago), and Root, an admin."""
    people = {name: make_user(name) for name in ("ann", "bob", "root")}
    people["root"] = runtime.users.set_role(username="root", role=ADMIN_ROLE, granted=True)
    seed_team(runtime.db, ann_id=people["ann"].id, bob_id=people["bob"].id, first_day=utc_now().date() - timedelta(days=10))
    return people


def tiles(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in at.metric}


def charts(at) -> int:  # type: ignore[no-untyped-def]
    return len(at.get("vega_lite_chart"))


def test_a_user_sees_their_own_figures_and_no_user_filter(team):
    at = open_app(team["ann"], page=ANALYTICS)

    assert not at.exception
    assert tiles(at) == {
        "Workflows created": "2",
        "Avg refinement iterations": "2.00",
        "Frame approval rate": "40.0%",
        "Video success rate": "50.0%",
        "Total cost": "$3.19",
    }
    assert [s.label for s in at.selectbox] == []  # no way to pick another user
    assert charts(at) == 4  # per day, error rate, generation time, cost per model; no cost per user


def test_an_admin_sees_everyone_then_one_user_through_the_filter(team):
    at = open_app(team["root"], page=ANALYTICS)

    assert not at.exception
    user_box = at.selectbox(key="analytics_user")
    assert user_box.value is None and user_box.options == ["All users", "Ann (ann)", "Bob (bob)", "Root (root)"]
    assert tiles(at)["Workflows created"] == "4" and tiles(at)["Total cost"] == "$3.22"
    assert charts(at) == 5  # with cost per user

    user_box.select(team["bob"].id).run()
    assert tiles(at) == {
        "Workflows created": "2",
        "Avg refinement iterations": "0.50",
        "Frame approval rate": "—",
        "Video success rate": "—",
        "Total cost": "$0.03",
    }


def test_the_period_presets_and_a_custom_range_change_the_figures(team):
    at = open_app(team["root"], page=ANALYTICS)
    at.segmented_control(key="analytics_preset").set_value("Last 7 days").run()
    assert tiles(at)["Workflows created"] == "1"  # only the workflow from four days ago

    first_day = utc_now().date() - timedelta(days=10)
    at.segmented_control(key="analytics_preset").set_value("Custom range").run()
    at.date_input(key="analytics_range").set_value((first_day, first_day + timedelta(days=1))).run()
    assert not at.exception
    assert tiles(at)["Workflows created"] == "2" and tiles(at)["Total cost"] == "$3.13"


def test_a_period_without_workflows_shows_the_empty_state_instead_of_charts(team, make_user):
    at = open_app(make_user("newcomer"), page=ANALYTICS)

    assert not at.exception
    assert at.info and "No workflows were created" in at.info[0].value
    assert charts(at) == 0 and tiles(at) == {}
