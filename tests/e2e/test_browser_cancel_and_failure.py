"""Cancel a long render and recover from a failed one, in Chromium, with a scripted video model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import ACTION_TIMEOUT_MS, chromium, click, needs_chromium, running_app, sign_up_and_in
from tests.support.wizard_walk import (
    GENERATION_TIMEOUT_MS,
    Shots,
    expect_step,
    frame_cards,
    walk_to_video,
)

pytestmark = [pytest.mark.timeout(900), needs_chromium]
SCRIPTED_APP = "tests/support/scripted_app.py"
RENDER_PROGRESS = re.compile(r"^\d+% · Rendering second \d+ of 60")


def test_cancel_stops_a_60_second_render_and_keeps_the_frames(tmp_path: Path):
    with running_app(tmp_path / "data", script=SCRIPTED_APP, env={"VIDEO_SCRIPT": "slow"}) as app, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        shots = Shots(page, "cancel")
        sign_up_and_in(page, app.url, username="carl", password="a long secret", name="Carl Cancel")
        walk_to_video(page, title="Long take", duration=60)
        expect(page.get_by_role("spinbutton", name="Duration (seconds)")).to_have_value("60")
        page.get_by_role("button", name="Generate Video", exact=True).click()
        # The live line while it runs (issue 12): the percent and the renderer's own message, never "Queued".
        expect(page.get_by_text(RENDER_PROGRESS)).to_be_visible(timeout=GENERATION_TIMEOUT_MS)
        shots.take("rendering")

        click(page, "Cancel", page)
        expect(page.get_by_text("Canceled. Kept your 3 approved frames")).to_be_visible()
        expect_step(page, 4, "Video")
        expect(page.get_by_role("button", name="Retry")).to_be_visible()
        expect(page.get_by_text("Rendering second")).to_have_count(0)
        shots.take("canceled")
        page.get_by_role("link", name="3 Frames").first.click()
        expect_step(page, 3, "Frames")
        expect(frame_cards(page)).to_have_count(3)
        for index in range(3):
            expect(frame_cards(page).nth(index).get_by_text("Approved", exact=True)).to_be_visible()
        shots.take("frames-kept")


def test_a_failed_render_shows_the_error_and_back_to_frames_reopens_the_review(tmp_path: Path):
    with running_app(tmp_path / "data", script=SCRIPTED_APP, env={"VIDEO_SCRIPT": "fail"}) as app, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        shots = Shots(page, "failure")
        sign_up_and_in(page, app.url, username="fay", password="a long secret", name="Fay Failure")
        walk_to_video(page, title="Doomed take", duration=4)
        page.get_by_role("button", name="Generate Video", exact=True).click()
        expect(page.get_by_text("overloaded (503)")).to_be_visible(timeout=GENERATION_TIMEOUT_MS)
        expect(page.get_by_role("button", name="Retry")).to_be_visible()
        shots.take("failed")

        click(page, "Back to Frames", page)
        expect_step(page, 3, "Frames")
        expect(frame_cards(page)).to_have_count(3)
        expect(page.get_by_role("button", name="Approve All")).to_be_visible()
        expect(page.get_by_role("button", name="Reject", exact=True)).to_have_count(3)
        shots.take("back-to-frames")
