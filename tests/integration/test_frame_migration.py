"""Workflows stored when frames were numbered from 1 are renumbered from 0 at start-up, once, losing nothing."""

from __future__ import annotations

from services.jobs.store import JOBS, PREDICTION_OWNERS
from services.studio.migrations import migrate_frames_from_zero
from services.workflows.repository import WORKFLOWS
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief

USER = "user-alice"


def _as_stored_before_numbering_from_zero(db, service) -> str:
    """A reviewed, regenerated workflow and its frame jobs, rewritten the way the old code stored them."""
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=3)
    service.review_frames(
        user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(0, True), FrameReview(1, False, "darker")]
    )
    service.regenerate_frames(user_id=USER, workflow_id=workflow.id, frame_numbers=[1])
    document = db[WORKFLOWS].find_one({"_id": workflow.id})
    frames = [{**frame, "frameNumber": frame["frameNumber"] + 1} for frame in document["generatedFrames"]]
    db[WORKFLOWS].update_one({"_id": workflow.id}, {"$set": {"generatedFrames": frames}, "$unset": {"frameBase": ""}})
    regeneration = db[JOBS].find_one({"workflowId": workflow.id, "kind": "REGENERATE_FRAMES"})
    db[JOBS].update_one(
        {"_id": regeneration["_id"]},
        {
            "$set": {
                "params.frameNumbers": [2],
                "params.completedParts": ["frame-2"],
                "predictionIds": {"frame-2": "pred-old"},
                "predictionIntents": {"frame-2/clip-0": "intent"},
            }
        },
    )
    db[PREDICTION_OWNERS].insert_one({"_id": "pred-old", "workflowId": workflow.id, "part": "frame-2"})
    return workflow.id


def test_old_workflows_are_renumbered_from_zero_keeping_versions_reviews_and_job_records(db, service):
    workflow_id = _as_stored_before_numbering_from_zero(db, service)
    old = db[WORKFLOWS].find_one({"_id": workflow_id})

    assert migrate_frames_from_zero(db) == 1
    migrated = service.get_workflow(user_id=USER, workflow_id=workflow_id)
    assert [f.frame_number for f in migrated.generated_frames] == [0, 1, 2]
    for before, after in zip(old["generatedFrames"], migrated.generated_frames, strict=True):
        assert after.image_key == before["imageKey"] and after.version == before["version"]
        assert after.approved == before["approved"] and after.feedback == before.get("feedback")
        assert len(after.history) == len(before["history"])
    assert migrated.frame(1).version == 2 and migrated.frame(1).history[0].feedback == "darker"
    assert migrated.frame(0).approved and migrated.frame_reviews.model_dump() == old["frameReviews"]
    job = db[JOBS].find_one({"workflowId": workflow_id, "kind": "REGENERATE_FRAMES"})
    assert job["params"]["frameNumbers"] == [1] and job["params"]["completedParts"] == ["frame-1"]
    assert job["predictionIds"] == {"frame-1": "pred-old"} and job["predictionIntents"] == {"frame-1/clip-0": "intent"}
    assert db[PREDICTION_OWNERS].find_one({"_id": "pred-old"})["part"] == "frame-1"


def test_the_migration_is_idempotent_and_leaves_new_workflows_alone(db, service):
    workflow_id = _as_stored_before_numbering_from_zero(db, service)
    fresh = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=fresh.id)
    service.generate_frames(user_id=USER, workflow_id=fresh.id, frame_count=2)
    untouched = db[WORKFLOWS].find_one({"_id": fresh.id})

    assert migrate_frames_from_zero(db) == 1
    once = db[WORKFLOWS].find_one({"_id": workflow_id})
    jobs_once = list(db[JOBS].find({"workflowId": workflow_id}).sort("_id"))
    assert migrate_frames_from_zero(db) == 0
    assert db[WORKFLOWS].find_one({"_id": workflow_id}) == once
    assert list(db[JOBS].find({"workflowId": workflow_id}).sort("_id")) == jobs_once
    assert db[WORKFLOWS].find_one({"_id": fresh.id}) == untouched
    # The migrated workflow works on with 0-based numbers.
    service.review_frames(user_id=USER, workflow_id=workflow_id, reviews=[FrameReview(n, True) for n in (0, 1, 2)])
    assert service.get_workflow(user_id=USER, workflow_id=workflow_id).frames_approved
