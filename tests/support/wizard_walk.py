"""The wizard walked in Chromium, one step at a time; shared by the step-page walk and the Creatives dialog walk."""

from __future__ import annotations

from pathlib import Path

import av
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import ROOT, click, fill, settle

OUTPUT = ROOT / "test-output" / "e2e"
GENERATION_TIMEOUT_MS = 180_000


class Shots:
    """Numbered screenshots of each step under test-output/e2e/, prefixed per walk."""

    def __init__(self, page: Page, prefix: str) -> None:
        self.page, self.prefix, self.count = page, prefix, 0
        OUTPUT.mkdir(parents=True, exist_ok=True)

    def take(self, name: str, page: Page | None = None) -> None:
        self.count += 1
        (page or self.page).screenshot(path=str(OUTPUT / f"{self.prefix}-{self.count:02d}-{name}.png"), full_page=True)


def expect_step(scope: Page | Locator, number: int, title: str) -> None:
    """The progress bar names this step."""
    expect(scope.get_by_text(f"Step {number} of 5: {title}", exact=True)).to_be_visible(timeout=GENERATION_TIMEOUT_MS)


def fill_brief(scope: Page | Locator, *, title: str, duration: int) -> None:
    fill(scope, "Title", title)
    scope.get_by_role("textbox", name="Prompt").fill("A runner crosses the city at dawn in our new sneakers")
    fill(scope, "Target audience", "Gen Z runners")
    fill(scope, "Tone", "energetic")
    fill(scope, "Visual style", "cinematic")
    scope.get_by_role("spinbutton", name="Duration (seconds)").fill(str(duration))


def refine_twice(scope: Page | Locator, page: Page) -> None:
    """Two rounds, the remaining count visible before the first."""
    expect(scope.get_by_text("10 of 10 rounds left")).to_be_visible()
    click(scope, "Refine Prompt", page)
    expect(scope.get_by_text("9 of 10 rounds left")).to_be_visible()
    scope.get_by_role("textbox", name="Additional info").fill("Add neon reflections on wet streets")
    click(scope, "Refine Prompt", page)
    expect(scope.get_by_text("Iteration 2", exact=True)).to_be_visible()
    expect(scope.get_by_text("8 of 10 rounds left")).to_be_visible()


def frame_cards(scope: Page | Locator) -> Locator:
    return scope.locator("[class*='st-key-frame-card-']")


def generate_frames(scope: Page | Locator, page: Page) -> None:
    click(scope, "Generate Frames", page)
    expect(scope.get_by_role("button", name="Approve All")).to_be_visible(timeout=GENERATION_TIMEOUT_MS)
    expect(frame_cards(scope)).to_have_count(3)


def review_frames(scope: Page | Locator, page: Page, shots: Shots) -> None:
    """Reject frame 2 with its Reject button and feedback, regenerate it, then Approve All."""
    second = frame_cards(scope).nth(1)
    expect(second.get_by_text("Frame 2 of 3", exact=False)).to_be_visible()
    click(second, "Reject", page)
    click(second, "Reject with feedback", page)  # empty feedback: refused next to the frame
    expect(second.get_by_text("Say what should change")).to_be_visible()
    second.get_by_role("textbox").fill("Make it night, with the city lights on")
    click(second, "Reject with feedback", page)
    expect(frame_cards(scope).nth(1).get_by_text("Rejected", exact=True)).to_be_visible()
    shots.take("frame-rejected")
    click(scope, "Regenerate Rejected (1)", page)
    expect(scope.get_by_text("Frame 2 of 3: earlier versions (1)")).to_be_visible(timeout=GENERATION_TIMEOUT_MS)
    expect(scope.get_by_role("button", name="Use this version")).to_be_visible()
    shots.take("regenerated")
    click(scope, "Approve All", page)
    for index in range(3):
        expect(frame_cards(scope).nth(index).get_by_text("Approved", exact=True)).to_be_visible()
    expect(scope.get_by_text("Pending review", exact=True)).to_have_count(0)
    expect(scope.get_by_text("Rejected", exact=True)).to_have_count(0)
    shots.take("approved")


def generate_video_and_watch(scope: Page | Locator, page: Page, shots: Shots) -> None:
    """12 fps, Generate Video, and the live progress panel shows.

    The offline render of a short clip can finish inside one 2-s refresh, so whether a percent is ever drawn here is a
    race (CI lost it once). The percent and the message are checked in test_browser_cancel_and_failure, against a
    scripted render that lasts long enough to be seen.
    """
    slider = scope.get_by_role("slider")
    slider.focus()
    slider.press("Home")  # MIN_VIDEO_FPS, 12
    settle(page)
    scope.get_by_role("button", name="Generate Video", exact=True).click()
    expect(scope.get_by_text("Now rendering the video")).to_be_visible(timeout=GENERATION_TIMEOUT_MS)
    shots.take("video-progress")


def check_result(scope: Page | Locator, page: Page, *, duration: int, fps: int) -> Path:
    """The player plays (currentTime advances) and Download saves an H.264 MP4 of duration × fps frames."""
    video = scope.locator("video")
    expect(video).to_have_count(1, timeout=GENERATION_TIMEOUT_MS)
    video.evaluate("v => { v.muted = true; return v.play().catch(() => null); }")
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.currentTime > 0.3; }", timeout=60_000
    )
    href = scope.get_by_role("link", name="Download MP4").get_attribute("href") or ""
    assert "/api/media/signed/" in href and "download=true" in href
    # The link button opens its URL in a new tab, which Chromium closes as the download starts, too soon for
    # Playwright to see it there; the same URL followed in this tab gives the same attachment.
    with page.expect_download() as started:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; document.body.append(a); a.click(); }", href
        )
    mp4 = OUTPUT / f"downloaded-{duration}s.mp4"
    started.value.save_as(mp4)
    with av.open(str(mp4)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == duration * fps
    return mp4


def walk_to_video(page: Page, *, title: str, duration: int) -> None:
    """Brief, one refinement, three frames all approved, and on to the Video step page."""
    page.get_by_test_id("stSidebar").get_by_role("link", name="1 Brief").click()
    settle(page)
    fill_brief(page, title=title, duration=duration)
    click(page, "Start Creating", page)
    expect_step(page, 2, "Refine")
    click(page, "Refine Prompt", page)
    click(page, "Continue to Frames", page)
    generate_frames(page, page)
    click(page, "Approve All", page)
    click(page, "Continue to Video", page)
    expect_step(page, 4, "Video")
