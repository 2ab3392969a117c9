"""Listing (newest activity first, campaign filter, paging) and soft / hard deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.core.errors import NotFoundError, ValidationError
from services.studio.service import VideoWorkflowService
from services.workflows.list_counts import recount
from services.workflows.listing import CAMPAIGN_LIST_KEY, LIST_KEY, key_range
from services.workflows.repository import LIST_INDEX, MIGRATIONS, WHOLE_RANGE_UP_TO, WORKFLOWS, ensure_indexes
from tests.support.briefs import a_brief

USER = "user-alice"


def test_the_list_shows_newest_activity_first_and_filters_by_campaign(service: VideoWorkflowService):
    first = service.create_workflow(user_id=USER, brief=a_brief(title="First", campaign_id="spring"))
    second = service.create_workflow(user_id=USER, brief=a_brief(title="Second"))
    service.create_workflow(user_id="someone-else", brief=a_brief(title="Not mine"))
    service.refine_prompt(user_id=USER, workflow_id=first.id)  # first is now the most recently active

    assert [w.title for w in service.list_workflows(user_id=USER).items] == ["First", "Second"]
    assert [w.id for w in service.list_workflows(user_id=USER, campaign_id="spring").items] == [first.id]
    assert second.id not in [w.id for w in service.list_workflows(user_id=USER, campaign_id="spring").items]


def test_the_list_is_paged_and_the_page_size_is_capped(service: VideoWorkflowService):
    for number in range(5):
        service.create_workflow(user_id=USER, brief=a_brief(title=f"W{number}"))
    page = service.list_workflows(user_id=USER, page=2, page_size=2)
    assert (page.total, len(page.items)) == (5, 2)
    assert [w.title for w in page.items] == ["W2", "W1"]
    with pytest.raises(ValidationError, match="Page size must be between 1 and 100"):
        service.list_workflows(user_id=USER, page_size=101)


def test_a_soft_deleted_workflow_is_hidden_but_kept(service: VideoWorkflowService, db):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.delete_workflow(user_id=USER, workflow_id=workflow.id)
    assert service.list_workflows(user_id=USER).total == 0
    with pytest.raises(NotFoundError):
        service.get_workflow(user_id=USER, workflow_id=workflow.id)
    assert db["video_workflows"].find_one({"_id": workflow.id})["deletedAt"] is not None


def test_a_hard_delete_removes_the_document_and_its_media(service: VideoWorkflowService, db):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    framed = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=1)
    media_file = service.media.local_path(framed.generated_frames[0].image_key)
    service.delete_workflow(user_id=USER, workflow_id=workflow.id, hard=True)
    assert db["video_workflows"].find_one({"_id": workflow.id}) is None
    assert not media_file.exists()


def test_a_media_key_outside_the_store_layout_is_refused(service: VideoWorkflowService):
    with pytest.raises(ValidationError, match="Not a media key"):
        service.read_media(user_id=USER, key="workflows/../../etc/passwd")


def test_ensure_indexes_replaces_the_old_list_indexes_and_gives_older_workflows_their_list_keys(
    service: VideoWorkflowService, db
):
    kept = service.create_workflow(user_id=USER, brief=a_brief(title="Made before", campaign_id="spring"))
    gone = service.create_workflow(user_id=USER, brief=a_brief(title="Deleted before"))
    service.delete_workflow(user_id=USER, workflow_id=gone.id)
    # as databases made before the list keys have them: the compound list indexes, and workflows without keys
    db[WORKFLOWS].update_many({}, {"$unset": {LIST_KEY: "", CAMPAIGN_LIST_KEY: ""}})
    db[WORKFLOWS].drop_index(LIST_INDEX)
    db[WORKFLOWS].create_index([("userId", 1), ("deletedAt", 1), ("lastActivity", -1)], name="userId_deletedAt_lastActivity")
    db[WORKFLOWS].create_index(
        [("userId", 1), ("deletedAt", 1), ("lastActivity", -1), ("_id", -1)], name="userId_deletedAt_lastActivity_id"
    )
    db[MIGRATIONS].delete_many({})
    ensure_indexes(db)
    indexes = db[WORKFLOWS].index_information()
    assert not {"userId_deletedAt_lastActivity", "userId_deletedAt_lastActivity_id"} & set(indexes)
    assert indexes[LIST_INDEX]["key"] == [(LIST_KEY, 1)]
    assert [w.id for w in service.list_workflows(user_id=USER).items] == [kept.id]
    assert [w.id for w in service.list_summaries(user_id=USER, campaign_id="spring").items] == [kept.id]
    assert db[WORKFLOWS].find_one({"_id": gone.id}).get(LIST_KEY) is None


def test_the_list_is_walked_in_index_order_with_no_sort_in_memory(service: VideoWorkflowService, db):
    for number in range(3):
        service.create_workflow(user_id=USER, brief=a_brief(title=f"W{number}", campaign_id="spring"))
    for field, query in (key_range(USER), key_range(USER, "spring")):
        plan = db.command("explain", {"find": WORKFLOWS, "filter": query, "sort": {field: 1}, "limit": 20})
        stages, stage = [], plan["queryPlanner"]["winningPlan"]
        while stage:
            stages.append(stage["stage"])
            stage = stage.get("inputStage")
        assert "IXSCAN" in stages and "SORT" not in stages, stages


def test_equal_activity_lists_the_newer_workflow_first_and_summaries_carry_no_history(service: VideoWorkflowService, db):
    older = service.create_workflow(user_id=USER, brief=a_brief(title="Older"))
    newer = service.create_workflow(user_id=USER, brief=a_brief(title="Newer"))
    same = db[WORKFLOWS].find_one({"_id": older.id})["lastActivity"]
    for workflow in (older, newer):  # the same moment, written through the repository so the keys follow
        service.repository.save(
            service.get_workflow(user_id=USER, workflow_id=workflow.id).model_copy(update={"last_activity": same})
        )
    page = service.list_summaries(user_id=USER)
    assert [row.id for row in page.items] == [newer.id, older.id] and page.total == 2
    assert [w.id for w in service.list_workflows(user_id=USER).items] == [newer.id, older.id]
    assert not hasattr(page.items[0], "refinement_iterations") and page.items[0].title == "Newer"


def test_totals_stay_exact_through_creates_soft_and_hard_deletes_and_a_recount(service: VideoWorkflowService, db):
    made = [service.create_workflow(user_id=USER, brief=a_brief(campaign_id="spring" if n % 2 else None)) for n in range(5)]
    service.delete_workflow(user_id=USER, workflow_id=made[0].id)
    service.delete_workflow(user_id=USER, workflow_id=made[1].id, hard=True)
    expected = (3, 1)  # live: made[2..4]; in spring: made[3]
    totals = (service.list_summaries(user_id=USER).total, service.list_summaries(user_id=USER, campaign_id="spring").total)
    assert totals == expected
    recount(db, WORKFLOWS)  # what ensure_indexes does once, and a repair would do: the same figures
    assert (
        service.list_workflows(user_id=USER).total,
        service.list_workflows(user_id=USER, campaign_id="spring").total,
    ) == expected


def test_a_long_list_read_through_activity_windows_pages_exactly_like_the_whole_range(service: VideoWorkflowService, db):
    now = datetime.now(UTC)
    documents = []
    for number in range(WHOLE_RANGE_UP_TO + 60):  # enough to take the windowed path; activity over two years
        workflow = service.create_workflow(user_id=USER, brief=a_brief(title=f"W{number}"))
        documents.append((workflow.id, now - timedelta(hours=number * 67)))
    for workflow_id, moment in documents:
        stored = service.get_workflow(user_id=USER, workflow_id=workflow_id)
        service.repository.save(stored.model_copy(update={"last_activity": moment}))
    order = [workflow_id for workflow_id, _ in documents]  # newest activity first
    for page in (1, 3, 6, 7):  # the last one past the end
        listed = service.list_summaries(user_id=USER, page=page, page_size=20)
        assert [row.id for row in listed.items] == order[(page - 1) * 20 : page * 20] and listed.total == len(order)
