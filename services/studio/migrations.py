"""Start-up migrations of stored workflows; each is idempotent and safe to run on every start.

Frames were numbered from 1 before the seed's numbering from 0 was adopted. `migrate_frames_from_zero`
renumbers every stored workflow that predates it (its frames, and the frame numbers and parts recorded on its
frame jobs), marking each with `frameBase: 0` in the same conditional write, so a rerun changes nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pymongo.database import Database

from services.jobs.store import JOBS, PREDICTION_OWNERS, JobKind
from services.workflows.repository import WORKFLOWS

log = logging.getLogger(__name__)
FRAME_JOBS = (JobKind.GENERATE_FRAMES.value, JobKind.REGENERATE_FRAMES.value)
_FRAME_PART = re.compile(r"^frame-(\d+)(/.*)?$")


def migrate_frames_from_zero(db: Database) -> int:
    """Renumber the frames of workflows stored before numbering from 0; returns how many were migrated."""
    migrated = 0
    for document in db[WORKFLOWS].find({"frameBase": {"$exists": False}}, {"_id": 1}):
        _migrate_jobs(db, document["_id"])  # first, each marked as it goes: a crash between the two steps reruns cleanly
        migrated += _migrate_workflow(db, document["_id"])
    if migrated:
        log.info("renumbered the frames of %d stored workflow(s) from 0", migrated)
    return migrated


def _migrate_workflow(db: Database, workflow_id: str) -> int:
    for _ in range(20):
        document = db[WORKFLOWS].find_one({"_id": workflow_id, "frameBase": {"$exists": False}})
        if document is None:
            return 0
        frames = [{**frame, "frameNumber": frame["frameNumber"] - 1} for frame in document.get("generatedFrames") or []]
        # Conditional on the version read and on the missing mark: a concurrent writer makes it retry, a rerun skips it.
        result = db[WORKFLOWS].update_one(
            {"_id": workflow_id, "version": document.get("version", 0), "frameBase": {"$exists": False}},
            {"$set": {"generatedFrames": frames, "frameBase": 0}},
        )
        if result.modified_count:
            return 1
    raise RuntimeError(f"workflow {workflow_id} kept changing while its frames were renumbered; start again")


def _migrate_jobs(db: Database, workflow_id: str) -> None:
    """Shift the frame numbers a frame job recorded: requested frames, finished parts and prediction ids."""
    for job in db[JOBS].find({"workflowId": workflow_id, "kind": {"$in": FRAME_JOBS}, "frameBase": {"$exists": False}}):
        params = dict(job.get("params") or {})
        if "frameNumbers" in params:
            params["frameNumbers"] = [number - 1 for number in params["frameNumbers"]]
        if "completedParts" in params:
            params["completedParts"] = [_shift_part(part) for part in params["completedParts"]]
        update: dict[str, Any] = {"params": params, "frameBase": 0}
        for field in ("predictionIds", "predictionIntents"):
            update[field] = {_shift_part(part): value for part, value in (job.get(field) or {}).items()}
        db[JOBS].update_one({"_id": job["_id"], "frameBase": {"$exists": False}}, {"$set": update})
        for part, prediction_id in update["predictionIds"].items():
            db[PREDICTION_OWNERS].update_one({"_id": prediction_id}, {"$set": {"part": part}})


def _shift_part(part: str) -> str:
    match = _FRAME_PART.match(part)
    return f"frame-{int(match.group(1)) - 1}{match.group(2) or ''}" if match else part
