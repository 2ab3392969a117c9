"""The same wizard walk through Creatives' Open Video Wizard dialog, which uses the step pages' renderers."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

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
DURATION, FPS = 8, 12


def test_the_creatives_dialog_walks_the_same_steps_to_the_result(tmp_path: Path):
    with running_app(tmp_path / "data") as app, chromium() as browser:
        page = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True).new_page()
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        shots = Shots(page, "dialog")
        sign_up_and_in(page, app.url, username="dana", password="a long secret", name="Dana Dialog")
        expect(page.get_by_role("heading", name="Creatives")).to_be_visible()

        click(page, "Create", page)
        click(page.get_by_role("dialog"), "Open Video Wizard", page)
        wizard = page.get_by_role("dialog")
        expect_step(wizard, 1, "Brief")
        fill_brief(wizard, title="Dialog run", duration=DURATION)
        shots.take("brief")
        click(wizard, "Start Creating", page)

        expect_step(wizard, 2, "Refine")
        refine_twice(wizard, page)
        shots.take("refine")
        page.reload()  # the dialog reopens on the same step of the same workflow
        settle(page)
        wizard = page.get_by_role("dialog")
        expect_step(wizard, 2, "Refine")
        expect(wizard.get_by_text("Iteration 2", exact=True)).to_be_visible()

        click(wizard, "Continue to Frames", page)
        expect_step(wizard, 3, "Frames")
        generate_frames(wizard, page)
        review_frames(wizard, page, shots)
        click(wizard, "Continue to Video", page)

        expect_step(wizard, 4, "Video")
        generate_video_and_watch(wizard, page, shots)
        expect_step(wizard, 5, "Result")
        check_result(wizard, page, duration=DURATION, fps=FPS)
        shots.take("result")

        click(wizard, "Close Wizard", page)
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_text("Dialog run", exact=True)).to_be_visible()
        expect(page.get_by_text("Videos (1)")).to_be_visible()
        shots.take("creatives-with-video")
