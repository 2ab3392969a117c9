"""Start-up repair of frame versions numbered twice; idempotent, and once done it is recorded and skipped.

Before 2026-12-02 a regeneration after a restore numbered the new frame current + 1, which could repeat the number
of a later version still in the history (restore v1 while v2 is kept, regenerate: a second "v2"). Restoring such a
number then dropped both entries. `repair_repeated_frame_versions` gives each repeat a fresh number above the
frame's highest, oldest first, so every image stays in the history under its own number.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.database import Database

from services.workflows.repository import MIGRATIONS, WORKFLOWS

log = logging.getLogger(__name__)
REPAIR_ID = "frame-versions-unique"


def repair_repeated_frame_versions(db: Database) -> int:
    """Renumber repeated frame versions in every stored workflow; returns how many workflows were repaired."""
    if db[MIGRATIONS].find_one({"_id": REPAIR_ID}) is not None:
        return 0
    repaired = 0
    for document in db[WORKFLOWS].find({"generatedFrames.history.0": {"$exists": True}}, {"_id": 1}):
        repaired += _repair_workflow(db, document["_id"])
    db[MIGRATIONS].update_one({"_id": REPAIR_ID}, {"$set": {"repaired": repaired}}, upsert=True)
    if repaired:
        log.info("gave repeated frame versions their own numbers in %d stored workflow(s)", repaired)
    return repaired


def renumbered(frame: dict[str, Any]) -> dict[str, Any] | None:
    """The stored frame with each repeated version number replaced by a fresh one; None when none repeats."""
    entries = [*frame.get("history", []), frame]
    if len({entry["version"] for entry in entries}) == len(entries):
        return None
    highest = max(entry["version"] for entry in entries)
    seen: set[int] = set()
    numbers: dict[int, int] = {}  # position in `entries` -> its new number
    by_age = sorted(range(len(entries)), key=lambda i: (entries[i]["generatedAt"], i))
    for i in by_age:  # the oldest keeps a number; a later repeat of it gets the next free one
        version = entries[i]["version"]
        if version in seen:
            highest += 1
            numbers[i] = highest
        seen.add(version)
    history = [{**entry, "version": numbers.get(i, entry["version"])} for i, entry in enumerate(entries[:-1])]
    return {
        **frame,
        "version": numbers.get(len(entries) - 1, frame["version"]),
        "history": sorted(history, key=lambda entry: entry["version"]),
    }


def _repair_workflow(db: Database, workflow_id: str) -> int:
    for _ in range(20):
        document = db[WORKFLOWS].find_one({"_id": workflow_id})
        if document is None:
            return 0
        frames = document.get("generatedFrames") or []
        repaired = [renumbered(frame) for frame in frames]
        if not any(repaired):
            return 0
        # Conditional on the version read: a concurrent writer makes it retry with what it wrote.
        result = db[WORKFLOWS].update_one(
            {"_id": workflow_id, "version": document.get("version", 0)},
            {
                "$set": {"generatedFrames": [new or old for new, old in zip(repaired, frames, strict=True)]},
                "$inc": {"version": 1},  # so a writer holding the old document retries on top of the repair
            },
        )
        if result.modified_count:
            return 1
    raise RuntimeError(f"workflow {workflow_id} kept changing while its frame versions were repaired; start again")
