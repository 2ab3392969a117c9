"""Review links in the UI through AppTest: the public page, owner comments with Use as feedback, presentation mode."""

from __future__ import annotations

from datetime import timedelta

from services.accounts.users import User
from services.bootstrap import Runtime
from services.core.clock import utc_now
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.ui_fixtures import button, open_app

FRAMES_STEP = "app_pages/wizard_frames.py"


def framed(runtime: Runtime, user: User, frames: int = 3) -> str:
    workflow = runtime.service.create_workflow(user_id=user.id, brief=a_brief(duration=2, title="Harbour lights"))
    runtime.service.refine_prompt(user_id=user.id, workflow_id=workflow.id)
    runtime.service.generate_frames(user_id=user.id, workflow_id=workflow.id, frame_count=frames)
    return workflow.id


def test_a_review_link_opens_without_an_account_or_sidebar_and_records_decisions(runtime: Runtime, alice: User):
    workflow_id = framed(runtime, alice)
    _, token = runtime.review.create_link(user_id=alice.id, workflow_id=workflow_id)

    at = open_app(None, query_params={"review": token})

    assert not at.exception
    assert [t.value for t in at.title] == ["Harbour lights"]
    assert not at.sidebar.children and "Username" not in [t.label for t in at.text_input]
    assert len(at.get("image")) == 3 and "alice" not in str(at.main).lower()
    at.text_input[0].set_value("Dana")
    button(at, "Start reviewing").click().run()
    first = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id).generated_frames[0].frame_number
    at.text_area(key=f"changes-{first}").set_value("Warmer light").run()
    at.button(key=f"request-{first}").click().run()
    at.button(key=f"approve-{first + 1}").click().run()

    assert not at.exception
    comments = runtime.review.comments_for_owner(user_id=alice.id, workflow_id=workflow_id)
    assert [(c.reviewer_name, c.frame_number, c.decision.value, c.body) for c in comments] == [
        ("Dana", first, "changes", "Warmer light"),
        ("Dana", first + 1, "approve", ""),
    ]
    assert runtime.db["audit_log"].count_documents({"event": "review.viewed"}) == 1  # once per session, not per rerun


def test_revoked_expired_and_unknown_links_say_so(runtime: Runtime, alice: User):
    workflow_id = framed(runtime, alice, frames=1)
    revoked, revoked_token = runtime.review.create_link(user_id=alice.id, workflow_id=workflow_id)
    runtime.review.revoke_link(user_id=alice.id, workflow_id=workflow_id, link_id=revoked.id)
    expired, expired_token = runtime.review.create_link(user_id=alice.id, workflow_id=workflow_id)
    runtime.db["review_links"].update_one({"_id": expired.id}, {"$set": {"expiresAt": utc_now() - timedelta(minutes=1)}})

    for token, message in (
        (revoked_token, "This link was revoked"),
        (expired_token, "This link has expired"),
        ("vwsr_not-a-real-token", "This review link is not valid"),
    ):
        at = open_app(None, query_params={"review": token})
        assert not at.exception and message in at.error[0].value and not at.get("image")


def test_the_owners_frames_step_shows_stakeholder_comments_and_use_as_feedback_fills_the_feedback(
    runtime: Runtime, alice: User
):
    workflow_id = framed(runtime, alice)
    _, token = runtime.review.create_link(user_id=alice.id, workflow_id=workflow_id)
    frame = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id).generated_frames[0]
    runtime.review.add_comment(
        token=token,
        ip="127.0.0.1",
        reviewer_name="Dana",
        frame_number=frame.frame_number,
        decision="changes",
        body="Warmer light",
    )

    at = open_app(alice, page=FRAMES_STEP, query_params={"workflow": workflow_id})
    assert not at.exception
    assert any("Dana" in m.value and "Requested changes" in m.value for m in at.markdown)
    button(at, "Use as feedback").click().run()

    assert not at.exception
    stored = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id).frame(frame.frame_number)
    assert (stored.feedback, stored.approved) == ("Warmer light", False)
    box = next(t for t in at.text_area if t.label == "What should change in frame 1?")  # its feedback box, opened
    assert box.value == "Warmer light"


def test_presentation_mode_shows_one_frame_at_a_time_then_the_video(runtime: Runtime, alice: User):
    workflow_id = framed(runtime, alice, frames=2)
    workflow = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id)
    runtime.service.review_frames(
        user_id=alice.id,
        workflow_id=workflow_id,
        reviews=[FrameReview(f.frame_number, True) for f in workflow.generated_frames],
    )
    runtime.service.generate_video(user_id=alice.id, workflow_id=workflow_id, fps=12)

    at = open_app(alice, query_params={"workflow": workflow_id, "present": "1"})
    assert not at.exception and len(at.get("image")) == 1 and any(m.value == "**1 / 3**" for m in at.markdown)
    button(at, "Next ▶").click().run()
    assert any(m.value == "**2 / 3**" for m in at.markdown)
    button(at, "Next ▶").click().run()
    assert not at.get("image") and len(at.get("video")) == 1 and "/api/media/signed/" in at.get("video")[0].proto.url
    button(at, "Exit presentation").click().run()
    assert "present" not in at.query_params
