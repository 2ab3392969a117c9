"""Workflow persistence in MongoDB. Every write is conditional on the workflow's version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database

from services.core.clock import utc_now
from services.core.errors import ConflictError
from services.workflows.domain import VideoWorkflow, WorkflowSummary
from services.workflows.list_counts import STATE_FIELDS, ListCounts, recount
from services.workflows.listing import CAMPAIGN_LIST_KEY, LIST_KEY, SUMMARY_PROJECTION, key_range, list_keys, window_bound

WORKFLOWS = "video_workflows"


@dataclass(frozen=True)
class WorkflowPage:
    items: list[VideoWorkflow]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True)
class SummaryPage:
    """A page of list rows; `total` is exact: every live workflow matching the filter, counted with the page."""

    items: list[WorkflowSummary]
    total: int
    page: int
    page_size: int


class WorkflowRepository(Protocol):
    def insert(self, workflow: VideoWorkflow) -> None: ...
    def get(self, workflow_id: str) -> VideoWorkflow | None: ...
    def get_document(self, workflow_id: str) -> dict | None: ...
    def save(self, workflow: VideoWorkflow) -> VideoWorkflow: ...
    def list_for_user(self, user_id: str, *, campaign_id: str | None, page: int, page_size: int) -> WorkflowPage: ...
    def list_summaries(self, user_id: str, *, campaign_id: str | None, page: int, page_size: int) -> SummaryPage: ...
    def hard_delete(self, workflow_id: str, *, version: int) -> bool: ...


LIST_INDEX = LIST_KEY
CAMPAIGN_LIST_INDEX = CAMPAIGN_LIST_KEY
# Replaced by LIST_INDEX (see services/workflows/listing.py for why); dropped where they exist.
SUPERSEDED_INDEXES = ("userId_deletedAt_lastActivity", "userId_deletedAt_lastActivity_id")
MIGRATIONS = "schema_migrations"
LIST_KEYS_MIGRATION = "workflow_list_keys"
LIST_COUNTS_MIGRATION = "workflow_list_counts"
# A long list's page is read from a window of the newest activity first, widening eightfold until it fills the page,
# so a heavy user's page does not fetch their whole history (SecantusDB fetches every document an index range covers
# before it applies the limit). The first window expects about twice the rows needed if the user's workflows were
# spread over a year; the last is the whole range, so the result never depends on the guess.
ASSUMED_SPAN_DAYS = 365
WIDEN = 8
WHOLE_RANGE_UP_TO = 60  # lists this short are read in one go


def ensure_indexes(db: Database) -> None:
    """The spec's indexes: userId + createdAt desc, status + lastActivity desc, campaignId."""
    existing = set(db[WORKFLOWS].index_information())
    for name in SUPERSEDED_INDEXES:
        if name in existing:
            db[WORKFLOWS].drop_index(name)
    db[WORKFLOWS].create_indexes(
        [
            IndexModel([("userId", ASCENDING), ("createdAt", DESCENDING)], name="userId_createdAt"),
            IndexModel([("status", ASCENDING), ("lastActivity", DESCENDING)], name="status_lastActivity"),
            IndexModel([("campaignId", ASCENDING)], name="campaignId"),
            # Serve the list (a user's live workflows, newest activity first) walked in order: see listing.py.
            IndexModel([(LIST_KEY, ASCENDING)], name=LIST_INDEX, sparse=True),
            IndexModel([(CAMPAIGN_LIST_KEY, ASCENDING)], name=CAMPAIGN_LIST_INDEX, sparse=True),
            # Serves an admin's analytics over everyone's workflows created in a period.
            IndexModel([("createdAt", DESCENDING)], name="createdAt"),
        ]
    )
    add_list_keys(db)
    if db[MIGRATIONS].find_one({"_id": LIST_COUNTS_MIGRATION}) is None:
        counters = recount(db, WORKFLOWS)
        db[MIGRATIONS].update_one({"_id": LIST_COUNTS_MIGRATION}, {"$set": {"counters": counters}}, upsert=True)


def add_list_keys(db: Database) -> int:
    """Give workflows stored before the list keys existed their keys, once per database; how many it updated."""
    migrations = db[MIGRATIONS]
    if migrations.find_one({"_id": LIST_KEYS_MIGRATION}) is not None:
        return 0
    updated = 0
    fields = {"userId": 1, "campaignId": 1, "deletedAt": 1, "lastActivity": 1}
    for document in db[WORKFLOWS].find({LIST_KEY: {"$exists": False}, "deletedAt": None}, fields):
        keys = {name: value for name, value in list_keys(document).items() if value is not None}
        updated += (
            db[WORKFLOWS].update_one({"_id": document["_id"], LIST_KEY: {"$exists": False}}, {"$set": keys}).modified_count
        )
    migrations.update_one({"_id": LIST_KEYS_MIGRATION}, {"$set": {"updated": updated}}, upsert=True)
    return updated


def _to_document(workflow: VideoWorkflow) -> dict:
    document = workflow.to_document()
    document["_id"] = document.pop("id")
    # Stored only when set, so the sparse indexes hold live workflows alone.
    document.update((name, value) for name, value in list_keys(document).items() if value is not None)
    return document


def document_to_workflow(document: dict) -> VideoWorkflow:
    """The domain workflow of a stored document (validated)."""
    document = dict(document)
    document["id"] = document.pop("_id")
    return VideoWorkflow.model_validate(document)


def _summary(document: dict) -> WorkflowSummary:
    document["id"] = document.pop("_id")
    document["videoKey"] = (document.pop("videoOutput", None) or {}).get("videoKey")
    return WorkflowSummary.model_validate(document)


class MongoWorkflowRepository:
    """Stores workflows in the `video_workflows` collection."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.collection: Collection = db[WORKFLOWS]
        self.counts = ListCounts(db)
        self.clock = clock

    def insert(self, workflow: VideoWorkflow) -> None:
        """Store a new workflow (version 0)."""
        document = _to_document(workflow)
        self.collection.insert_one(document)
        self.counts.moved(None, document)

    def get(self, workflow_id: str) -> VideoWorkflow | None:
        """The workflow, soft-deleted ones included (the service decides what to show)."""
        document = self.collection.find_one({"_id": workflow_id})
        return document_to_workflow(document) if document else None

    def get_document(self, workflow_id: str) -> dict | None:
        """The stored document as it is, unvalidated (for read-only views that copy out public fields)."""
        return self.collection.find_one({"_id": workflow_id})

    def save(self, workflow: VideoWorkflow) -> VideoWorkflow:
        """Write the workflow if nobody else wrote it since it was read; bumps its version."""
        expected = workflow.version
        saved = workflow.model_copy(update={"version": expected + 1})
        document = _to_document(saved)
        before = self.collection.find_one_and_replace({"_id": workflow.id, "version": expected}, document, STATE_FIELDS)
        if before is None:
            raise ConflictError("The workflow was changed by someone else in the meantime. Reload it and try again.")
        self.counts.moved(before, document)
        return saved

    def list_for_user(self, user_id: str, *, campaign_id: str | None, page: int, page_size: int) -> WorkflowPage:
        """A page of the user's live workflows, newest activity first, whole (the UI shows frames and videos)."""
        total, documents = self._page(user_id, campaign_id, page, page_size, projection=None)
        return WorkflowPage([document_to_workflow(d) for d in documents], total, page, page_size)

    def list_summaries(self, user_id: str, *, campaign_id: str | None, page: int, page_size: int) -> SummaryPage:
        """A page of list rows, newest activity first, read through the summary projection."""
        total, documents = self._page(user_id, campaign_id, page, page_size, projection=SUMMARY_PROJECTION)
        return SummaryPage([_summary(d) for d in documents], total, page, page_size)

    def _page(
        self, user_id: str, campaign_id: str | None, page: int, page_size: int, *, projection: dict | None
    ) -> tuple[int, list[dict]]:
        key, query = key_range(user_id, campaign_id)
        total = self.counts.total(user_id, campaign_id)
        skip = (page - 1) * page_size
        now = self.clock()
        days = ASSUMED_SPAN_DAYS * 2 * (skip + page_size) / max(total, 1)
        while True:
            whole = total <= WHOLE_RANGE_UP_TO or days > 100 * 365
            bounded = query if whole else {key: {**query[key], "$lt": window_bound(user_id, campaign_id, now, days)}}
            documents = list(self.collection.find(bounded, projection).sort(key, ASCENDING).skip(skip).limit(page_size))
            if whole or len(documents) == page_size:
                return total, documents
            days *= WIDEN

    def hard_delete(self, workflow_id: str, *, version: int) -> bool:
        """Remove the workflow document for good if it is still at `version`; False when someone wrote first."""
        before = self.collection.find_one_and_delete({"_id": workflow_id, "version": version}, projection=STATE_FIELDS)
        self.counts.moved(before, None)
        return before is not None
