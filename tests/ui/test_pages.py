"""Creatives, My Workflows and Settings through AppTest: what each user sees, and what each button changes."""

from __future__ import annotations

from services.accounts.users import User
from services.bootstrap import Runtime
from services.core.clock import utc_now
from services.providers.keys import PROVIDER_KEYS, build_vault, new_master_key
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.ui_fixtures import PASSWORD, button, fill_in, open_app

CREATIVES, WORKFLOWS, SETTINGS = "app_pages/creatives.py", "app_pages/workflows.py", "app_pages/settings.py"


def finished_video(runtime: Runtime, user: User, *, title: str, campaign_id: str | None = None) -> str:
    service = runtime.service
    workflow = service.create_workflow(user_id=user.id, brief=a_brief(title=title, duration=1, campaign_id=campaign_id))
    service.refine_prompt(user_id=user.id, workflow_id=workflow.id)
    service.generate_frames(user_id=user.id, workflow_id=workflow.id, frame_count=1)
    service.review_frames(user_id=user.id, workflow_id=workflow.id, reviews=[FrameReview(0, True)])
    service.generate_video(user_id=user.id, workflow_id=workflow.id, fps=12)
    return workflow.id


def texts(at) -> str:  # type: ignore[no-untyped-def]
    return " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)


def test_creatives_shows_only_the_users_own_videos_and_filters_by_campaign(runtime: Runtime, alice: User, make_user):
    spring = runtime.campaigns.create(user_id=alice.id, name="Spring")
    finished_video(runtime, alice, title="Spring teaser", campaign_id=spring.id)
    finished_video(runtime, alice, title="Plain promo")
    finished_video(runtime, make_user("bob"), title="Bob's secret")

    at = open_app(alice, page=CREATIVES)
    assert not at.exception
    assert "Spring teaser" in texts(at) and "Plain promo" in texts(at) and "Bob's secret" not in texts(at)
    assert "Videos (2)" in [s.value for s in at.subheader]

    at.selectbox(key="creatives_campaign").select(spring.id).run()
    assert "Spring teaser" in texts(at) and "Plain promo" not in texts(at)


def test_a_campaign_created_on_creatives_is_stored_for_that_user_only(runtime: Runtime, alice: User):
    at = open_app(alice, page=CREATIVES)
    at.text_input[0].set_value("Summer launch")
    button(at, "Create Campaign").click().run()
    assert [c.name for c in runtime.campaigns.list(user_id=alice.id)] == ["Summer launch"]
    at.text_input[0].set_value("Summer launch")
    button(at, "Create Campaign").click().run()
    assert at.error and "already have a campaign" in at.error[0].value


def test_the_wizard_dialog_opens_from_the_url_and_its_brief_creates_a_workflow_in_the_campaign(
    runtime: Runtime, alice: User
):
    spring = runtime.campaigns.create(user_id=alice.id, name="Spring")
    at = open_app(alice, page=CREATIVES, query_params={"wizard": "video", "campaign": spring.id})
    assert "Start Creating" in [b.label for b in at.button]
    fill_in(at, Title="From the dialog")
    at.text_area[0].set_value("A quick idea")
    button(at, "Start Creating").click().run()

    [workflow] = runtime.service.list_workflows(user_id=alice.id).items
    assert (workflow.title, workflow.campaign_id) == ("From the dialog", spring.id)
    assert at.query_params["workflow"] == workflow.id and at.query_params["wizard"] == "video"


def test_opening_a_video_card_reopens_its_wizard(runtime: Runtime, alice: User):
    workflow_id = finished_video(runtime, alice, title="Reopen me")
    at = open_app(alice, page=CREATIVES)
    button(at, "Open").click().run()
    assert at.query_params["workflow"] == workflow_id
    assert any("Step 5 of 5: Result" in p.text for p in at.progress)


def test_my_workflows_lists_the_users_workflows_newest_activity_first(runtime: Runtime, alice: User, make_user):
    older = runtime.service.create_workflow(user_id=alice.id, brief=a_brief(title="Older"))
    runtime.service.create_workflow(user_id=alice.id, brief=a_brief(title="Newer"))
    runtime.service.refine_prompt(user_id=alice.id, workflow_id=older.id)  # now the most recent activity
    runtime.service.create_workflow(user_id=make_user("bob").id, brief=a_brief(title="Bob's"))

    at = open_app(alice, page=WORKFLOWS)
    titles = [m.value for m in at.markdown if m.value.startswith("**")]
    assert titles == ["**Older**", "**Newer**"]
    assert any("PROMPT_REFINEMENT" in c.value for c in at.caption)


def test_deleting_a_workflow_asks_first_and_then_removes_it(runtime: Runtime, alice: User):
    runtime.service.create_workflow(user_id=alice.id, brief=a_brief(title="Short-lived"))
    at = open_app(alice, page=WORKFLOWS)
    button(at, "Delete").click().run()
    assert runtime.service.list_workflows(user_id=alice.id).total == 1  # not yet: the dialog asks
    at.button(key="confirm-delete").click().run()
    assert runtime.service.list_workflows(user_id=alice.id).total == 0
    assert any("No workflows yet" in i.value for i in at.info)


def test_keeping_a_workflow_in_the_confirmation_changes_nothing(runtime: Runtime, alice: User):
    runtime.service.create_workflow(user_id=alice.id, brief=a_brief(title="Keeper"))
    at = open_app(alice, page=WORKFLOWS)
    button(at, "Delete").click().run()
    at.button(key="cancel-delete").click().run()
    assert runtime.service.list_workflows(user_id=alice.id).total == 1


def test_resume_opens_the_wizard_on_that_workflow(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief(title="Resume me"))
    at = open_app(alice, page=WORKFLOWS)
    button(at, "Resume").click().run()
    assert at.query_params["workflow"] == workflow.id
    assert any("Step 2 of 5: Refine" in p.text for p in at.progress)


def test_settings_changes_the_password_after_checking_the_current_one(runtime: Runtime, alice: User):
    at = open_app(alice, page=SETTINGS)
    new = "a brand new secret"
    fill_in(at, Current_password="not it", New_password=new, Repeat_the_new_password=new)
    button(at, "Change Password").click().run()
    assert at.error and "Wrong username or password" in at.error[0].value

    fill_in(at, Current_password=PASSWORD, New_password=new, Repeat_the_new_password=new)
    button(at, "Change Password").click().run()
    assert any("Password changed" in i.value for i in at.info), "every session ends: sign in again with the new one"
    assert at.session_state["user_id"] is None
    assert runtime.users.authenticate(username="alice", password="a brand new secret").id == alice.id


def test_without_master_keys_settings_says_only_the_servers_provider_keys_are_used(runtime: Runtime, alice: User):
    at = open_app(alice, page=SETTINGS)
    assert any("needs PROVIDER_KEY_MASTER_KEYS" in i.value for i in at.info)
    assert "no key — offline providers serve its models" in texts(at)


def test_a_users_own_provider_key_is_stored_encrypted_and_takes_precedence(install, service, db, make_user):
    vault = build_vault(f"k1:{new_master_key()}", db, clock=utc_now)
    install(service, vault=vault)
    alice = make_user("alice")
    at = open_app(alice, page=SETTINGS)
    at.selectbox[0].set_value("replicate")
    fill_in(at, Your_key="r8_my-own-secret-key")
    button(at, "Save Key").click().run()

    assert vault.providers_of(alice.id) == ["replicate"]
    assert "r8_my-own-secret-key" not in str(list(db[PROVIDER_KEYS].find())), "stored encrypted, never in plaintext"
    assert "your own key (stored encrypted; it takes precedence)" in texts(at)
    button(at, "Remove my Replicate key").click().run()
    assert vault.providers_of(alice.id) == []


def test_an_api_key_is_shown_once_listed_and_revocable(runtime: Runtime, alice: User):
    at = open_app(alice, page=SETTINGS)
    fill_in(at, Key_name="render farm")
    button(at, "Create API Key").click().run()
    secret = at.code[0].value
    assert runtime.api.api_keys.authenticate(secret).user_id == alice.id
    assert "render farm" in texts(at) and "active" in texts(at)

    at.run()
    assert not at.code, "the secret is shown only once"
    key = runtime.api.api_keys.list_for_user(alice.id)[0]
    button(at, "Revoke").click().run()
    assert runtime.api.api_keys.list_for_user(alice.id)[0].revoked_at is not None
    assert key.prefix in texts(at) and "revoked" in texts(at)


def test_create_opens_a_dialog_offering_the_video_wizard(runtime: Runtime, alice: User):
    runtime.campaigns.create(user_id=alice.id, name="Spring")
    at = open_app(alice, page=CREATIVES)
    button(at, "Create").click().run()
    assert "Open Video Wizard" in [b.label for b in at.button]
    assert "Start Creating" not in [b.label for b in at.button]  # the wizard opens only when asked
