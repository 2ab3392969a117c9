"""The Analytics page in a real browser: Debian's chromium against the app started as the README starts it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from pymongo.database import Database

from services.accounts.users import UserService, ensure_user_indexes
from services.core.clock import utc_now
from tests.support.analytics_seed import seed_team
from tests.support.browser import (
    ACTION_TIMEOUT_MS,
    ROOT,
    chromium,
    needs_chromium,
    running_app,
    seed_database,
    settle,
    sign_in,
)

pytestmark = [pytest.mark.timeout(600), needs_chromium]
OUTPUT = ROOT / "test-output" / "analytics"
PASSWORD = "a long secret"
DRAWN_CHART = '[data-testid="stVegaLiteChart"]'


def seed(db: Database) -> None:
    """Ann and Bob with the seeded week (ten to four days ago), and Root, made admin by ADMIN_USERNAMES."""
    ensure_user_indexes(db)
    users = UserService(db, clock=utc_now, bcrypt_rounds=4)
    ann, bob = (users.register(username=name, password=PASSWORD, name=f"{name.title()} Example") for name in ("ann", "bob"))
    users.register(username="root", password=PASSWORD, name="Root Example")
    seed_team(db, ann_id=ann.id, bob_id=bob.id, first_day=utc_now().date() - timedelta(days=10))


def open_analytics(page: Page) -> None:
    """Go to Analytics through the sidebar, as a user would."""
    page.get_by_test_id("stSidebar").get_by_role("link", name="Analytics").click()
    settle(page)
    expect(page.get_by_role("heading", name="Analytics")).to_be_visible()


def tile(page: Page, label: str) -> Locator:
    """The value shown on the metric card with this label."""
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def drawn_charts(page: Page) -> Locator:
    """Vega charts that rendered a canvas or an SVG, not just their container."""
    return page.locator(DRAWN_CHART).filter(has=page.locator("canvas, svg"))


def screenshot(page: Page, name: str) -> None:
    """A full-page screenshot under test-output/analytics/, once the tables (drawn after the charts) have painted."""
    page.wait_for_timeout(1500)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def test_an_admin_sees_everyones_charts_and_a_user_only_their_own(tmp_path: Path):
    data_dir = tmp_path / "data"
    seed_database(data_dir, seed)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with running_app(data_dir, env={"ADMIN_USERNAMES": "root"}) as app, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 2200})
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        sign_in(page, app.url, username="root", password=PASSWORD)
        open_analytics(page)

        expect(drawn_charts(page)).to_have_count(5)  # per day, error rate, generation time, cost per model and per user
        expect(tile(page, "Workflows created")).to_have_text("4")
        expect(tile(page, "Frame approval rate")).to_have_text("40.0%")
        expect(tile(page, "Total cost")).to_have_text("$3.22")
        screenshot(page, "admin-all-users")

        page.get_by_test_id("stSelectbox").filter(has_text="User").click()
        page.get_by_role("option", name="Bob Example (bob)").click()
        settle(page)
        expect(tile(page, "Workflows created")).to_have_text("2")
        expect(tile(page, "Total cost")).to_have_text("$0.03")
        expect(drawn_charts(page)).to_have_count(4)  # one user: no cost-per-user chart
        screenshot(page, "admin-one-user")

        user = browser.new_page(viewport={"width": 1400, "height": 2200})
        user.set_default_timeout(ACTION_TIMEOUT_MS)
        sign_in(user, app.url, username="ann", password=PASSWORD)
        open_analytics(user)
        expect(drawn_charts(user)).to_have_count(4)
        expect(tile(user, "Workflows created")).to_have_text("2")
        expect(tile(user, "Total cost")).to_have_text("$3.19")
        expect(user.get_by_test_id("stSelectbox")).to_have_count(0)  # no way to pick another user
        screenshot(user, "user-own-figures")
