"""The sign-in cookie in a real browser: HttpOnly, survives a reload, and dies everywhere on sign-out."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import ACTION_TIMEOUT_MS, chromium, click, needs_chromium, running_app, settle, sign_up_and_in

pytestmark = [pytest.mark.timeout(600), needs_chromium]
PASSWORD = "correct horse battery"


def _signed_in(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _signed_out(page: Page) -> None:
    expect(page.get_by_role("textbox", name="Username", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_a_copied_cookie_stops_working_when_its_owner_signs_out(tmp_path: Path):
    with running_app(tmp_path / "data") as app, chromium() as browser:
        owner = browser.new_context().new_page()
        owner.set_default_timeout(ACTION_TIMEOUT_MS)
        sign_up_and_in(owner, app.url, username="gina", password=PASSWORD, name="Gina Owner")
        owner.wait_for_timeout(1500)  # the page exchanges its handoff code for the cookie
        cookies = [c for c in owner.context.cookies() if c["name"] == "vws_session"]
        assert len(cookies) == 1 and cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"
        assert cookies[0]["value"].startswith("vwss_"), "the cookie holds a session token, not a user name"
        assert owner.evaluate("document.cookie").find("vws_session") == -1, "scripts cannot read it"

        owner.reload()
        settle(owner)
        _signed_in(owner)

        thief = browser.new_context()
        thief.add_cookies(cookies)
        stolen = thief.new_page()
        stolen.set_default_timeout(ACTION_TIMEOUT_MS)
        stolen.goto(app.url)
        settle(stolen)
        _signed_in(stolen)  # a copied cookie works while the session lives ...

        click(owner.get_by_test_id("stSidebar"), "Sign out", owner)
        owner.wait_for_timeout(1000)
        settle(owner)
        _signed_out(owner)
        stolen.reload()
        settle(stolen)
        _signed_out(stolen)  # ... and not a moment after its owner signed out


def test_a_forged_or_garbage_cookie_just_shows_the_sign_in_screen(tmp_path: Path):
    import jwt

    forged = jwt.encode({"username": "admin", "exp_date": 9_999_999_999}, key="", algorithm="none")
    with running_app(tmp_path / "data") as app, chromium() as browser:
        for value in (forged, "garbage", "vwss_" + "A" * 43):
            context = browser.new_context()
            context.add_cookies([{"name": "vws_session", "value": value, "url": app.url}])
            page = context.new_page()
            page.set_default_timeout(ACTION_TIMEOUT_MS)
            page.goto(app.url)
            settle(page)
            _signed_out(page)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            context.close()
