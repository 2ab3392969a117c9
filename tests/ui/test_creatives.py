"""Creatives without caps: every finished video over its pages, true totals, campaigns from the API by their id."""

from __future__ import annotations

from bson import ObjectId
from pymongo.database import Database

from services.accounts.users import User
from services.bootstrap import Runtime
from services.workflows.creatives import CreativesQuery
from services.workflows.repository import WORKFLOWS, document_to_workflow
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.ui_fixtures import open_app

CREATIVES = "app_pages/creatives.py"
WORKFLOWS_TOTAL, FINISHED, FRAMED = 150, 40, 10


def template(runtime: Runtime, user: User, *, finish: bool) -> dict:
    """A real workflow document the service wrote: two approved frames and a video, or three frames, one approved."""
    service = runtime.service
    workflow = service.create_workflow(user_id=user.id, brief=a_brief(duration=1))
    service.refine_prompt(user_id=user.id, workflow_id=workflow.id)
    service.generate_frames(user_id=user.id, workflow_id=workflow.id, frame_count=2 if finish else 3)
    numbers = [f.frame_number for f in service.get_workflow(user_id=user.id, workflow_id=workflow.id).generated_frames]
    approved = numbers if finish else numbers[:1]
    service.review_frames(user_id=user.id, workflow_id=workflow.id, reviews=[FrameReview(n, True) for n in approved])
    if finish:
        service.generate_video(user_id=user.id, workflow_id=workflow.id, fps=12)
    return runtime.db[WORKFLOWS].find_one({"_id": workflow.id})


def seed(db: Database, runtime: Runtime, user: User) -> None:
    """150 workflows in the real database: 40 finished (2 approved frames each), 10 framed (1 approved), 100 briefs."""
    finished, framed = template(runtime, user, finish=True), template(runtime, user, finish=False)
    brief = runtime.db[WORKFLOWS].find_one({"_id": runtime.service.create_workflow(user_id=user.id, brief=a_brief()).id})
    for index in range(WORKFLOWS_TOTAL - 3):  # through the repository, which keeps the list keys and counts
        source = finished if index < FINISHED - 1 else framed if index < FINISHED + FRAMED - 2 else brief
        copy = document_to_workflow({**source, "_id": str(ObjectId())})
        runtime.service.repository.insert(copy.model_copy(update={"title": f"Workflow {index:03d}", "version": 0}))


def test_creatives_shows_all_40_videos_over_its_pages_and_the_true_approved_frame_count(
    runtime: Runtime, alice: User, db: Database, make_user
):
    seed(db, runtime, alice)
    other = make_user("bob")
    runtime.service.create_workflow(user_id=other.id, brief=a_brief(title="Bob's"))
    assert runtime.service.list_workflows(user_id=alice.id).total == WORKFLOWS_TOTAL

    at = open_app(alice, page=CREATIVES)
    assert not at.exception
    headings = [s.value for s in at.subheader]
    assert f"Videos ({FINISHED})" in headings
    assert f"Approved frames ({FINISHED * 2 + FRAMED})" in headings  # 90, not a cut list
    seen: list[str] = []
    while True:
        seen += [m.value for m in at.markdown if m.value.startswith("**")]
        nxt = at.button(key="creatives_videos_page-next")
        if nxt.disabled:
            break
        nxt.click().run()
        assert not at.exception
    assert len(seen) == FINISHED and len(set(seen)) == FINISHED, "every finished video once, over 4 pages"
    assert any("Page 4 of 4" in c.value for c in at.caption)


def test_the_creatives_query_pages_in_the_database_and_keeps_to_the_user_and_campaign(
    runtime: Runtime, alice: User, make_user
):
    spring = runtime.campaigns.create(user_id=alice.id, name="Spring")
    query = CreativesQuery(runtime.db)
    service = runtime.service
    for campaign in (spring.id, None):
        workflow = service.create_workflow(user_id=alice.id, brief=a_brief(duration=1, campaign_id=campaign))
        service.refine_prompt(user_id=alice.id, workflow_id=workflow.id)
        service.generate_frames(user_id=alice.id, workflow_id=workflow.id, frame_count=1)
        number = service.get_workflow(user_id=alice.id, workflow_id=workflow.id).generated_frames[0].frame_number
        service.review_frames(user_id=alice.id, workflow_id=workflow.id, reviews=[FrameReview(number, True)])
    assert query.approved_frames(user_id=alice.id).total == 2
    in_spring = query.approved_frames(user_id=alice.id, campaign_id=spring.id)
    assert in_spring.total == 1 and in_spring.items[0].position == 1 and in_spring.items[0].frame_count == 1
    assert query.approved_frames(user_id=make_user("bob").id).total == 0
    assert query.finished_videos(user_id=alice.id).total == 0


def test_a_campaign_id_sent_through_the_api_shows_under_its_own_name_and_can_be_renamed(runtime: Runtime, alice: User):
    runtime.service.create_workflow(user_id=alice.id, brief=a_brief(campaign_id="campaign_123"))
    at = open_app(alice, page=CREATIVES)
    assert "campaign_123" in at.selectbox(key="creatives_campaign").options
    at.selectbox(key="creatives_campaign").select("campaign_123").run()
    [rename] = [s for s in at.selectbox if s.label == "Campaign to rename"]
    rename.select("campaign_123")
    [name] = [t for t in at.text_input if t.label == "New name"]
    name.set_value("Summer 2026")
    [submit] = [b for b in at.button if b.label == "Rename Campaign"]
    submit.click().run()
    assert not at.exception
    assert runtime.campaigns.get(user_id=alice.id, campaign_id="campaign_123").name == "Summer 2026"
