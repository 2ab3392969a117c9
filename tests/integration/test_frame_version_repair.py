"""Frame versions numbered twice by the old regenerate-after-restore are renumbered once at start-up, losing nothing."""

from __future__ import annotations

from datetime import timedelta

from services.workflows.repository import MIGRATIONS, WORKFLOWS
from services.workflows.rules import FrameReview
from services.workflows.version_repair import REPAIR_ID, repair_repeated_frame_versions
from tests.support.briefs import a_brief

USER = "user-alice"


def _stored_with_a_repeated_version(db, service) -> tuple[str, dict[str, int]]:
    """Frame 1 as the old code left it: v1 and v2 in the history, and a newer current frame also numbered 2."""
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
    for _ in range(2):
        service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(1, False, "again")])
        service.regenerate_frames(user_id=USER, workflow_id=workflow.id, frame_numbers=[1])
    document = db[WORKFLOWS].find_one({"_id": workflow.id})
    frame = document["generatedFrames"][1]  # v3 with history v1, v2: renumber v3 as the old code would have
    first, second = frame["history"]
    second["generatedAt"] = first["generatedAt"] + timedelta(seconds=1)
    frame["generatedAt"] = second["generatedAt"] + timedelta(seconds=1)
    frame["version"], frame["history"] = 2, [second, first]
    db[WORKFLOWS].update_one({"_id": workflow.id}, {"$set": {"generatedFrames": document["generatedFrames"]}})
    keys = {"first": first["imageKey"], "second": second["imageKey"], "current": frame["imageKey"]}
    return workflow.id, keys


def test_a_repeated_version_gets_a_fresh_number_and_every_image_can_be_restored(db, service):
    workflow_id, keys = _stored_with_a_repeated_version(db, service)
    db[MIGRATIONS].delete_many({})

    assert repair_repeated_frame_versions(db) == 1
    frame = service.get_workflow(user_id=USER, workflow_id=workflow_id).generated_frames[1]
    assert (frame.version, frame.image_key) == (3, keys["current"]), "the newer of the two 2s became 3"
    assert [(v.version, v.image_key) for v in frame.history] == [(1, keys["first"]), (2, keys["second"])]

    restored = service.restore_frame_version(user_id=USER, workflow_id=workflow_id, frame_number=1, version=2)
    frame = restored.generated_frames[1]
    assert frame.image_key == keys["second"]
    assert [(v.version, v.image_key) for v in frame.history] == [(1, keys["first"]), (3, keys["current"])]


def test_the_repair_runs_once_and_leaves_sound_workflows_alone(db, service):
    workflow_id, _ = _stored_with_a_repeated_version(db, service)
    db[MIGRATIONS].update_one({"_id": REPAIR_ID}, {"$set": {"repaired": 0}}, upsert=True)
    assert repair_repeated_frame_versions(db) == 0, "recorded as done: not scanned again"

    db[MIGRATIONS].delete_many({})
    assert repair_repeated_frame_versions(db) == 1
    repaired = db[WORKFLOWS].find_one({"_id": workflow_id})
    db[MIGRATIONS].delete_many({})
    assert repair_repeated_frame_versions(db) == 0, "nothing repeats any more"
    assert db[WORKFLOWS].find_one({"_id": workflow_id}) == repaired
