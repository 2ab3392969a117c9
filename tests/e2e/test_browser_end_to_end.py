"""The whole product in a real browser: Debian's chromium against the app started as the README starts it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import ACTION_TIMEOUT_MS, chromium, click, needs_chromium, running_app, settle, sign_up_and_in
from tests.support.wizard_walk import (
    Shots,
    check_result,
    expect_step,
    fill_brief,
    generate_frames,
    generate_video_and_watch,
    refine_twice,
    review_frames,
)

pytestmark = [pytest.mark.timeout(1200), needs_chromium]
PASSWORD = "a long secret"
DURATION, FPS = 8, 12  # long enough for the live progress to be seen between two 2-s refreshes


def workflow_in(url: str) -> str:
    return parse_qs(urlparse(url).query)["workflow"][0]


def same_step_after_reload_and_in_a_new_tab(page: Page, number: int, title: str, shots: Shots) -> None:
    """A reload, and the same URL in a new tab (signed in by the cookie), land on the same step of the same workflow."""
    url, workflow_id = page.url, workflow_in(page.url)
    page.reload()
    settle(page)
    expect_step(page, number, title)
    assert workflow_in(page.url) == workflow_id
    tab = page.context.new_page()
    tab.goto(url)
    settle(tab)
    expect_step(tab, number, title)
    assert workflow_in(tab.url) == workflow_id and urlparse(tab.url).path == urlparse(url).path
    shots.take(f"new-tab-{title.lower()}", tab)
    tab.close()


def test_a_new_user_walks_the_wizard_on_its_step_pages_from_brief_to_a_played_and_downloaded_video(tmp_path: Path):
    with running_app(tmp_path / "data") as app, chromium() as browser:
        page = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True).new_page()
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        shots = Shots(page, "pages")
        sign_up_and_in(page, app.url, username="erin", password=PASSWORD, name="Erin Example")
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Video Wizard")).to_be_visible()
        sidebar.get_by_role("link", name="1 Brief").click()
        settle(page)

        expect_step(page, 1, "Brief")
        fill_brief(page, title="Dawn run", duration=DURATION)
        shots.take("brief")
        click(page, "Start Creating", page)

        expect_step(page, 2, "Refine")
        assert urlparse(page.url).path == "/refine"
        refine_twice(page, page)
        shots.take("refine")
        same_step_after_reload_and_in_a_new_tab(page, 2, "Refine", shots)
        expect(page.get_by_text("Iteration 2", exact=True)).to_be_visible()

        click(page, "Continue to Frames", page)
        expect_step(page, 3, "Frames")
        generate_frames(page, page)
        shots.take("frames")
        same_step_after_reload_and_in_a_new_tab(page, 3, "Frames", shots)
        review_frames(page, page, shots)

        click(page, "Continue to Video", page)
        expect_step(page, 4, "Video")
        same_step_after_reload_and_in_a_new_tab(page, 4, "Video", shots)
        shots.take("video-settings")
        generate_video_and_watch(page, page, shots)

        expect_step(page, 5, "Result")  # the page moves on by itself when the render finishes
        check_result(page, page, duration=DURATION, fps=FPS)
        shots.take("result")
        same_step_after_reload_and_in_a_new_tab(page, 5, "Result", shots)
        workflow_id = workflow_in(page.url)

        sidebar.get_by_role("link", name="Creatives").click()
        settle(page)
        expect(page.get_by_text("Dawn run", exact=True)).to_be_visible()
        expect(page.get_by_text("Videos (1)")).to_be_visible()
        shots.take("creatives-with-video")

        intruder = browser.new_page(viewport={"width": 1400, "height": 1000})
        intruder.set_default_timeout(ACTION_TIMEOUT_MS)
        sign_up_and_in(intruder, app.url, username="frank", password=PASSWORD, name="Frank Other")
        intruder.goto(f"{app.url}/result?workflow={workflow_id}")
        settle(intruder)
        expect(intruder.get_by_text("belongs to another user")).to_be_visible()
        expect(intruder.get_by_text("Dawn run")).to_have_count(0)
        expect(intruder.locator("video")).to_have_count(0)
        shots.take("other-user-refused", intruder)
        click(intruder.get_by_test_id("stSidebar"), "Sign out", intruder)
        username = intruder.get_by_role("textbox", name="Username", exact=True)
        expect(username).to_be_visible(timeout=ACTION_TIMEOUT_MS)
        intruder.reload()  # the sign-in cookie is gone: still signed out
        expect(username).to_be_visible(timeout=ACTION_TIMEOUT_MS)
