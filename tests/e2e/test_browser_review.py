"""Stakeholder review links in a real browser: the owner shares, a stranger with no cookies reviews, the owner acts."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pymongo import MongoClient
from pymongo.database import Database

from services.accounts.users import UserService, ensure_user_indexes
from services.bootstrap import build_job_runner, build_model_registry
from services.core.clock import utc_now
from services.core.settings import Settings
from services.jobs.store import ensure_job_indexes
from services.storage.media_store import FileMediaStore
from services.studio.service import VideoWorkflowService
from services.workflows.repository import MongoWorkflowRepository, ensure_indexes
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.browser import (
    ACTION_TIMEOUT_MS,
    APP_DATABASE,
    ROOT,
    chromium,
    click,
    fill,
    needs_chromium,
    running_app,
    seed_database,
    settle,
    sign_in,
)

pytestmark = [pytest.mark.timeout(900), needs_chromium]
OUTPUT = ROOT / "test-output" / "review"
PASSWORD = "a long secret"
TITLE_A, TITLE_B = "Harbour lights", "Secret other project"
EXPECT_TIMEOUT_MS = 60_000  # a rerun on the shared, loaded machine can take several seconds


def seed(data_dir: Path, ids: dict[str, str]) -> None:
    """Olive, with workflow A (3 approved frames and a video) and workflow B (one frame), made by the offline providers."""

    def write(db: Database) -> None:
        ensure_indexes(db)
        ensure_job_indexes(db)
        ensure_user_indexes(db)
        settings = Settings(_env_file=None, DATA_DIR=data_dir, JOB_BACKEND="inline")  # type: ignore[call-arg]
        service = VideoWorkflowService(
            repository=MongoWorkflowRepository(db),
            media=FileMediaStore(settings.media_dir),
            models=build_model_registry(settings),
            jobs=build_job_runner(db, settings),
            settings=settings,
        )
        olive = UserService(db, clock=utc_now, bcrypt_rounds=4).register(
            username="olive", password=PASSWORD, name="Olive Owner"
        )
        a = service.create_workflow(user_id=olive.id, brief=a_brief(title=TITLE_A, duration=2))
        service.refine_prompt(user_id=olive.id, workflow_id=a.id)
        service.generate_frames(user_id=olive.id, workflow_id=a.id, frame_count=3)
        frames = service.get_workflow(user_id=olive.id, workflow_id=a.id).generated_frames
        service.review_frames(
            user_id=olive.id, workflow_id=a.id, reviews=[FrameReview(f.frame_number, True) for f in frames]
        )
        service.generate_video(user_id=olive.id, workflow_id=a.id, fps=12)
        b = service.create_workflow(user_id=olive.id, brief=a_brief(title=TITLE_B, duration=2))
        service.refine_prompt(user_id=olive.id, workflow_id=b.id)
        service.generate_frames(user_id=olive.id, workflow_id=b.id, frame_count=1)
        ids.update(
            a=a.id,
            b=b.id,
            b_frame_key=service.get_workflow(user_id=olive.id, workflow_id=b.id).generated_frames[0].image_key,
        )

    seed_database(data_dir, write)


def shot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # let images paint
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def create_link(page: Page) -> str:
    """Create a review link in the owner's Share for review panel; returns the URL it shows once."""
    panel = page.get_by_test_id("stExpander").filter(has_text="Share for review")
    if not panel.get_by_role("button", name="Create review link").is_visible():
        panel.get_by_text("Share for review").click()
        settle(page)
    click(panel, "Create review link", page)
    box = panel.get_by_role("textbox", name="Review link")
    expect(box).to_have_value(re.compile(r"\?review=vwsr_"))
    return box.input_value().strip()


def test_a_stakeholder_reviews_through_a_link_and_the_owner_uses_the_feedback(tmp_path: Path):
    data_dir, ids = tmp_path / "data", {}
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    seed(data_dir, ids)
    with running_app(data_dir) as app, chromium() as browser:
        owner = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        owner.set_default_timeout(ACTION_TIMEOUT_MS)
        sign_in(owner, app.url, username="olive", password=PASSWORD)
        owner.goto(f"{app.url}/wizard?workflow={ids['a']}")
        settle(owner)
        link = create_link(owner)
        shot(owner, "01-owner-creates-link")

        guest = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()  # no cookies, no account
        guest.set_default_timeout(ACTION_TIMEOUT_MS)
        assert guest.context.cookies() == []
        guest.goto(link)
        settle(guest)
        expect(guest.get_by_role("heading", name=TITLE_A)).to_be_visible()
        expect(guest.get_by_test_id("stSidebar")).to_have_count(0)
        images = guest.get_by_test_id("stImage").locator("img")
        expect(images).to_have_count(3)
        assert all("/api/media/signed/" in (src or "") for src in images.evaluate_all("els => els.map(e => e.src)"))
        expect(guest.locator("video")).to_have_count(1)
        assert "Olive" not in guest.content() and "$" not in guest.get_by_test_id("stMain").inner_text()
        fill(guest, "Your name", "Dana")
        click(guest, "Start reviewing", guest)
        guest.get_by_role("textbox", name="What should change in frame 1?").fill("Warmer light on the harbour")
        guest.get_by_role("textbox", name="What should change in frame 1?").press("Tab")
        decisions = guest.get_by_test_id("stCaptionContainer").filter(has_text="Dana")
        guest.get_by_role("button", name="Request changes").nth(0).click()
        expect(decisions.filter(has_text="Requested changes")).to_contain_text(
            "Warmer light on the harbour", timeout=ACTION_TIMEOUT_MS
        )
        settle(guest)
        for approved, index in ((1, 1), (2, 2)):
            guest.get_by_role("button", name="Approve").nth(index).click()
            expect(decisions.filter(has_text="Approved")).to_have_count(approved, timeout=ACTION_TIMEOUT_MS)
            settle(guest)
        shot(guest, "02-stakeholder-review")

        owner.reload()
        settle(owner)
        expect(owner.get_by_text("Requested changes").first).to_be_visible()
        click(owner, "Use as feedback", owner)  # the finished workflow goes back to frame review with the comment
        expect(owner.get_by_role("textbox", name="What should change in frame 1?")).to_have_value(
            "Warmer light on the harbour"
        )
        expect(owner.get_by_text("Dana").first).to_be_visible()
        shot(owner, "03-owner-frames-with-comment")

        second = create_link(owner)
        guest.goto(f"{second}&workflow={ids['b']}")  # another workflow's id: the link still shows only its own
        settle(guest)
        expect(guest.get_by_role("heading", name=TITLE_A)).to_be_visible()
        assert TITLE_B not in guest.content()
        signed = guest.get_by_test_id("stImage").locator("img").first.get_attribute("src") or ""
        forged = signed.split("/workflows/")[0] + "/" + ids["b_frame_key"] + "?" + signed.split("?")[1]
        assert guest.request.get(forged).status in (403, 404)  # A's signature does not open B's media key
        shot(guest, "04-other-workflow-id-shows-nothing-of-it")

        click(guest, "Present", guest)
        expect(guest.get_by_test_id("stImage")).to_have_count(1)
        expect(guest.get_by_text("1 / 4")).to_be_visible()
        shot(guest, "05-presentation-first-frame")
        for expected in ("2 / 4", "3 / 4", "4 / 4"):
            guest.keyboard.press("ArrowRight")
            settle(guest)
            expect(guest.get_by_text(expected)).to_be_visible()
        expect(guest.locator("video")).to_have_count(1)
        shot(guest, "06-presentation-video")

        panel = owner.get_by_test_id("stExpander").filter(has_text="Share for review")
        panel.get_by_role("button", name="Revoke").first.click()  # the newest link first
        settle(owner)
        guest.goto(second)
        settle(guest)
        expect(guest.get_by_text("This link was revoked")).to_be_visible()
        shot(guest, "07-revoked")

        with MongoClient(app.mongo_uri, tz_aware=True) as client:
            client[APP_DATABASE]["review_links"].update_many(
                {"revokedAt": None}, {"$set": {"expiresAt": utc_now() - timedelta(minutes=1)}}
            )
        guest.goto(link)
        settle(guest)
        expect(guest.get_by_text("This link has expired")).to_be_visible()
        shot(guest, "08-expired")
