"""The whole product in a real browser: Debian's chromium against the app started as the README starts it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import av
import pytest
from playwright.sync_api import Page, expect
from pymongo import MongoClient

from tests.ui.browser import (
    ACTION_TIMEOUT_MS,
    ROOT,
    chromium,
    click,
    fill,
    needs_chromium,
    running_app,
    settle,
    sign_up_and_in,
)

pytestmark = [pytest.mark.timeout(900), needs_chromium]
OUTPUT = ROOT / "test-output" / "e2e"
PASSWORD = "a long secret"
DURATION, FPS = 3, 12


class Shots:
    """Numbered screenshots of each step under test-output/e2e/."""

    def __init__(self, page: Page) -> None:
        self.page, self.count = page, 0
        OUTPUT.mkdir(parents=True, exist_ok=True)

    def take(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(OUTPUT / f"{self.count:02d}-{name}.png"), full_page=True)


def test_a_creative_makes_a_video_end_to_end_and_another_user_cannot_open_it(tmp_path: Path):
    with running_app(tmp_path / "data") as app, chromium() as browser:
        page = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True).new_page()
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        shots = Shots(page)
        sign_up_and_in(page, app.url, username="erin", password=PASSWORD, name="Erin Example")
        expect(page.get_by_role("heading", name="Creatives")).to_be_visible()
        shots.take("creatives")

        click(page, "Create", page)
        click(page.get_by_role("dialog"), "Open Video Wizard", page)
        wizard = page.get_by_role("dialog")
        expect(wizard.get_by_text("Step 0 of 4: Brief")).to_be_visible()
        fill(wizard, "Title", "Dawn run")
        wizard.get_by_role("textbox", name="Prompt").fill("A runner crosses the city at dawn in our new sneakers")
        fill(wizard, "Target audience", "Gen Z runners")
        fill(wizard, "Tone", "energetic")
        fill(wizard, "Visual style", "cinematic")
        wizard.get_by_role("spinbutton", name="Duration (seconds)").fill(str(DURATION))
        shots.take("brief")
        click(wizard, "Start Creating", page)

        expect(wizard.get_by_text("Step 1 of 4: Refinement")).to_be_visible()
        click(wizard, "Refine Prompt", page)
        wizard.get_by_role("textbox", name="Additional info").fill("Add neon reflections on wet streets")
        click(wizard, "Refine Prompt", page)
        expect(wizard.get_by_text("Iteration 2", exact=True)).to_be_visible()
        shots.take("refinement")
        workflow_id = parse_qs(urlparse(page.url).query)["workflow"][0]

        page.reload()  # midway: the same workflow, at the same step, in the reopened wizard
        settle(page)
        wizard = page.get_by_role("dialog")
        expect(wizard.get_by_text("Step 1 of 4: Refinement")).to_be_visible()
        expect(wizard.get_by_text("Iteration 2", exact=True)).to_be_visible()
        shots.take("after-reload")

        new_tab = page.context.new_page()  # the same URL in a new tab, signed in by the cookie
        new_tab.goto(page.url)
        settle(new_tab)
        expect(new_tab.get_by_role("dialog").get_by_text("Step 1 of 4: Refinement")).to_be_visible()
        new_tab.close()

        click(wizard, "Continue to Frames", page)
        expect(wizard.get_by_text("Step 2 of 4: Frames")).to_be_visible()
        click(wizard, "Generate Frames", page)
        expect(wizard.get_by_role("img")).to_have_count(3)
        shots.take("frames")

        wizard.get_by_role("radiogroup", name="Frame 2").get_by_text("Reject").click()
        wizard.get_by_role("textbox", name="Feedback for frame 2").fill("Make it night, with the city lights on")
        click(wizard, "Save Reviews", page)
        click(wizard, "Regenerate Rejected (1)", page)
        expect(wizard.get_by_text("Frame 2: earlier versions (1)")).to_be_visible()
        shots.take("regenerated")
        click(wizard, "Approve All", page)
        expect(wizard.get_by_role("button", name="Continue to Video")).to_be_enabled()
        click(wizard, "Continue to Video", page)

        expect(wizard.get_by_text("Step 3 of 4: Video settings")).to_be_visible()
        slider = wizard.get_by_role("slider")
        slider.focus()
        slider.press("Home")  # MIN_VIDEO_FPS, 12
        settle(page)
        shots.take("video-settings")
        click(wizard, "Generate Video", page)

        expect(wizard.get_by_text("Step 4 of 4: Completed")).to_be_visible()
        video = wizard.locator("video")
        video.evaluate("v => { v.muted = true; return v.play().catch(() => null); }")
        page.wait_for_function(
            "() => document.querySelector('video') && document.querySelector('video').readyState >= 2", timeout=60_000
        )
        shots.take("completed")
        with page.expect_download() as download_info:
            wizard.get_by_role("button", name="Download MP4").click()
        mp4 = OUTPUT / "downloaded.mp4"
        download_info.value.save_as(mp4)
        with av.open(str(mp4)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert sum(1 for _ in container.decode(stream)) == DURATION * FPS

        click(wizard, "Close Wizard", page)
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.get_by_text("Dawn run", exact=True)).to_be_visible()  # the list refreshed with the new video
        expect(page.get_by_text("Videos (1)")).to_be_visible()
        shots.take("creatives-with-video")

        # A generation running elsewhere (another tab, the API): the page follows it from the database by itself.
        with MongoClient(app.mongo_uri) as client:
            workflows = client["video_workflow_studio"]["video_workflows"]
            workflows.update_one({"_id": workflow_id}, {"$set": {"status": "PROCESSING"}})
            page.goto(f"{app.url}/wizard?workflow={workflow_id}")
            expect(page.get_by_text("this page updates by itself")).to_be_visible()
            shots.take("live-progress")
            workflows.update_one({"_id": workflow_id}, {"$set": {"status": "COMPLETED"}})
        expect(page.get_by_text("Step 4 of 4: Completed")).to_be_visible(timeout=20_000)
        expect(page.get_by_text("this page updates by itself")).to_have_count(0)

        intruder = browser.new_page(viewport={"width": 1400, "height": 1000})
        intruder.set_default_timeout(ACTION_TIMEOUT_MS)
        sign_up_and_in(intruder, app.url, username="frank", password=PASSWORD, name="Frank Other")
        intruder.goto(f"{app.url}/wizard?workflow={workflow_id}")
        settle(intruder)
        expect(intruder.get_by_text("belongs to another user")).to_be_visible()
        expect(intruder.get_by_text("Dawn run")).to_have_count(0)
        intruder.goto(f"{app.url}/workflows")
        settle(intruder)
        expect(intruder.get_by_text("No workflows yet")).to_be_visible()
        expect(intruder.get_by_text("Dawn run")).to_have_count(0)
        shots.page = intruder
        shots.take("other-user-refused")

        click(intruder.get_by_test_id("stSidebar"), "Sign out", intruder)
        expect(intruder.get_by_role("textbox", name="Username", exact=True)).to_be_visible()
        intruder.reload()  # the sign-in cookie is gone: still signed out
        expect(intruder.get_by_role("textbox", name="Username", exact=True)).to_be_visible()
        expect(intruder.get_by_role("button", name="Sign out")).to_have_count(0)
