"""Signing in, signing up and signing out: every page needs a signed-in user."""

from __future__ import annotations

import pytest

from services.accounts.users import User
from services.bootstrap import Runtime
from tests.support.briefs import a_brief
from tests.support.ui_fixtures import PASSWORD, button, fill_in, open_app
from ui.auth import SIGNED_UP

PAGES = ["app_pages/creatives.py", "app_pages/wizard.py", "app_pages/workflows.py", "app_pages/settings.py"]


def sign_in(at, username: str, password: str):  # type: ignore[no-untyped-def]
    fill_in(at, Username=username, Password=password)
    return button(at, "Sign in").click().run()


def test_a_visitor_sees_only_the_sign_in_form(runtime: Runtime):
    at = open_app()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.sidebar.button  # no navigation, no sign-out


@pytest.mark.parametrize("page", PAGES)
def test_no_page_renders_for_a_visitor_even_by_its_url(runtime: Runtime, page: str):
    at = open_app(query_params={"workflow": "anything"})
    at.switch_page(page).run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert all(b.label in ("Sign in",) for b in at.button)


def test_a_wrong_password_is_refused_with_an_alert(runtime: Runtime, alice: User):
    at = sign_in(open_app(), "alice", "not the password")
    assert at.error and "Wrong username or password" in at.error[0].value
    assert at.session_state["user_id"] is None


def test_the_right_password_signs_the_user_in_and_keeps_the_workflow_in_the_url(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_app(query_params={"workflow": workflow.id})
    sign_in(at, "alice", PASSWORD)
    assert at.session_state["user_id"] == alice.id
    assert not at.exception
    assert at.query_params["workflow"] == workflow.id
    assert "Sign out" in [b.label for b in at.sidebar.button]
    # The page hands a one-time code to POST /api/ui-session, which sets the HttpOnly cookie.
    scripts = [h.proto.body for h in at.get("html")]
    assert any("/api/ui-session" in body and "vwsh_" in body for body in scripts), scripts
    assert runtime.api.ui_sessions.resolve(at.session_state["ui_session"]) == alice.id


def test_sign_up_creates_a_user_in_the_database_who_can_then_sign_in(runtime: Runtime):
    at = open_app()
    at.get("button_group")[0].set_value("Create account").run()
    fill_in(
        at,
        Your_name="Carol Jones",
        Choose_a_username="carol",
        Choose_a_password="a long secret",
        Repeat_the_password="a long secret",
    )
    button(at, "Create account").click().run()

    assert not at.exception
    carol = runtime.users.get_by_username("carol")
    assert carol is not None and carol.name == "Carol Jones"
    assert carol.password_hash.startswith("$2")  # bcrypt, never the password itself
    assert at.success and "account is ready" in at.success[0].value
    sign_in(at, "carol", "a long secret").run()
    assert at.session_state["user_id"] == carol.id


def test_sign_up_refuses_mismatched_passwords_and_answers_the_same_for_a_taken_username(runtime: Runtime, alice: User):
    at = open_app()
    at.get("button_group")[0].set_value("Create account").run()
    fill_in(
        at,
        Your_name="Another Alice",
        Choose_a_username="alice",
        Choose_a_password="a long secret",
        Repeat_the_password="another secret",
    )
    button(at, "Create account").click().run()
    assert at.error and "differ" in at.error[0].value

    fill_in(at, Repeat_the_password="a long secret")
    button(at, "Create account").click().run()
    assert not at.error, "a taken name is not revealed"
    assert at.success and at.success[0].value == SIGNED_UP
    unchanged = runtime.users.get(alice.id)
    assert unchanged.name == alice.name and unchanged.password_hash == alice.password_hash


def test_signing_out_returns_to_the_sign_in_form(runtime: Runtime, alice: User):
    at = open_app(alice)
    button(at, "Sign out").click().run()
    assert at.session_state["user_id"] is None
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_a_disabled_user_is_signed_out_on_the_next_run(runtime: Runtime, alice: User):
    at = open_app(alice)
    runtime.users.collection.update_one({"_id": alice.id}, {"$set": {"disabled": True}})
    at.run()
    assert at.session_state["user_id"] is None
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_without_a_sign_in_cookie_the_studio_opens_right_after_signing_in(install, make_service, make_user):
    runtime = install(make_service(UI_COOKIE_EXPIRY_DAYS=0))
    alice = make_user("alice")
    at = sign_in(open_app(), "alice", PASSWORD)
    assert at.session_state["user_id"] == alice.id
    assert "Sign out" in [b.label for b in at.sidebar.button]
    assert runtime.settings.UI_COOKIE_EXPIRY_DAYS == 0
