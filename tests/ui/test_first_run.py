"""A new user's first minute: the offline banner, and "Try an example" on the empty studio."""

from __future__ import annotations

from services.accounts.users import User
from services.bootstrap import Runtime
from services.workflows.domain import WorkflowStep
from tests.support.ui_fixtures import button, open_app

CREATIVES, WORKFLOWS = "app_pages/creatives.py", "app_pages/workflows.py"
BANNER_WORDS = "offline stand-ins"


def banner_text(at) -> str:  # type: ignore[no-untyped-def]
    return " ".join(m.value for m in at.markdown if BANNER_WORDS in m.value)


def test_with_no_keys_every_page_says_in_one_banner_that_work_is_drawn_offline_until_dismissed(
    runtime: Runtime, alice: User
):
    for page in (CREATIVES, WORKFLOWS, "app_pages/settings.py"):
        at = open_app(alice, page=page)
        assert not at.exception
        assert "prompt refinement, storyboard frames and video" in banner_text(at), page

    button(at, "Dismiss").click().run()
    assert banner_text(at) == ""
    at.switch_page(CREATIVES).run()
    assert banner_text(at) == "", "dismissed for the rest of the session"


def test_the_banner_names_only_the_roles_without_a_key_and_is_absent_when_every_role_has_one(
    install, make_service, alice: User
):
    install(make_service(POE_API_KEY="poe-test-key"))
    at = open_app(alice, page=CREATIVES)
    assert "No provider key is set for storyboard frames," in banner_text(at)  # Poe serves refinement and video
    assert "prompt refinement" not in banner_text(at) and "video" not in banner_text(at)

    install(make_service(POE_API_KEY="poe-test-key", REPLICATE_API_KEY="r8-test-key"))
    at = open_app(alice, page=CREATIVES)
    assert not at.exception
    assert banner_text(at) == ""


def test_try_an_example_on_the_empty_studio_makes_both_examples_and_opens_the_finished_one(runtime: Runtime, alice: User):
    at = open_app(alice, page=CREATIVES)
    button(at, "Try an example").click().run()
    assert not at.exception

    made = runtime.service.list_workflows(user_id=alice.id).items
    assert sorted(w.current_step for w in made) == sorted([WorkflowStep.COMPLETED, WorkflowStep.FRAME_REVIEW])
    assert all(w.example for w in made)
    finished = next(w for w in made if w.current_step is WorkflowStep.COMPLETED)
    assert at.query_params["workflow"] == finished.id, "the wizard opens on the finished example"

    at = open_app(alice, page=CREATIVES)
    assert "Try an example" not in [b.label for b in at.button], "offered only while the studio is empty"
    assert any("example" in m.value for m in at.markdown), "example workflows are labelled"


def test_the_examples_use_none_of_the_users_quota(wired_runtime: Runtime, alice: User):
    runtime = wired_runtime  # limits on, as the app wires them (other UI tests run unlimited)
    quotas = runtime.api.rate_limits

    at = open_app(alice, page=CREATIVES)
    button(at, "Try an example").click().run()

    assert len(runtime.service.list_workflows(user_id=alice.id).items) == 2
    assert quotas.quota("video", user_id=alice.id).remaining == 1, "the user's one video an hour is still there"
    assert quotas.quota("frames", user_id=alice.id).remaining == quotas.quota("frames", user_id="nobody").remaining
