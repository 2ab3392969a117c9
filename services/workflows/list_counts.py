"""Exact list totals kept as counters: one per user, and one per user and campaign, of their live workflows.

SecantusDB has no covered count: counting a user's workflows fetched and decoded every one of them, which
made a heavy user's list page cost in proportion to their whole history. The repository adjusts these
counters with every write that adds, removes (hard or soft) or moves a live workflow, from the stored
document's state before and after the write, so the total is exact as long as each write's counter update
lands too; `recount` rebuilds them from the workflows (ensure_indexes runs it once per database, and it is
safe to run again at any time, e.g. after a crash between a write and its counter update).
"""

from __future__ import annotations

from pymongo import UpdateOne
from pymongo.database import Database

from services.workflows.listing import owner_prefix

LIST_COUNTS = "workflow_list_counts"
STATE_FIELDS = {"userId": 1, "campaignId": 1, "deletedAt": 1}  # all a document's counters depend on


def counter_ids(document: dict | None) -> set[str]:
    """The counters a stored document counts in: none when it is absent or soft-deleted."""
    if document is None or document.get("deletedAt") is not None:
        return set()
    ids = {owner_prefix(document["userId"])}
    if document.get("campaignId") is not None:
        ids.add(owner_prefix(document["userId"], document["campaignId"]))
    return ids


class ListCounts:
    """Reads and adjusts the counters."""

    def __init__(self, db: Database) -> None:
        self.collection = db[LIST_COUNTS]

    def total(self, user_id: str, campaign_id: str | None = None) -> int:
        """How many live workflows the user has (in the campaign)."""
        found = self.collection.find_one({"_id": owner_prefix(user_id, campaign_id)}, {"live": 1})
        return int(found["live"]) if found else 0

    def moved(self, before: dict | None, after: dict | None) -> None:
        """Count a write that changed a document from `before` to `after` (either may be None: inserted, deleted)."""
        old, new = counter_ids(before), counter_ids(after)
        changes = [UpdateOne({"_id": cid}, {"$inc": {"live": -1}}, upsert=True) for cid in old - new]
        changes += [UpdateOne({"_id": cid}, {"$inc": {"live": 1}}, upsert=True) for cid in new - old]
        if changes:
            self.collection.bulk_write(changes, ordered=False)


def recount(db: Database, workflows: str) -> int:
    """Rebuild every counter from the live workflows (one pass over the state fields); how many counters."""
    counts: dict[str, int] = {}
    for document in db[workflows].find({"deletedAt": None}, STATE_FIELDS):
        for cid in counter_ids(document):
            counts[cid] = counts.get(cid, 0) + 1
    collection = db[LIST_COUNTS]
    collection.delete_many({})
    if counts:
        collection.insert_many([{"_id": cid, "live": live} for cid, live in counts.items()], ordered=False)
    return len(counts)
