"""Workflow persistence in MongoDB. Every write is conditional on the workflow's version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database

from services.core.errors import ConflictError
from services.workflows.domain import VideoWorkflow

WORKFLOWS = "video_workflows"


@dataclass(frozen=True)
class WorkflowPage:
    items: list[VideoWorkflow]
    total: int
    page: int
    page_size: int


class WorkflowRepository(Protocol):
    def insert(self, workflow: VideoWorkflow) -> None: ...
    def get(self, workflow_id: str) -> VideoWorkflow | None: ...
    def save(self, workflow: VideoWorkflow) -> VideoWorkflow: ...
    def list_for_user(self, user_id: str, *, campaign_id: str | None, page: int, page_size: int) -> WorkflowPage: ...
    def hard_delete(self, workflow_id: str, *, version: int) -> bool: ...


LIST_INDEX = "userId_deletedAt_lastActivity_id"
SUPERSEDED_INDEXES = ("userId_deletedAt_lastActivity",)  # replaced by LIST_INDEX; dropped where it exists


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
            # Serves the default list: a user's live workflows, newest activity first. The trailing _id matches the
            # list's tie-break sort, so MongoDB walks the index in order instead of sorting a heavy user's whole list.
            IndexModel(
                [("userId", ASCENDING), ("deletedAt", ASCENDING), ("lastActivity", DESCENDING), ("_id", DESCENDING)],
                name=LIST_INDEX,
            ),
            # Serves an admin's analytics over everyone's workflows created in a period.
            IndexModel([("createdAt", DESCENDING)], name="createdAt"),
        ]
    )


def _to_document(workflow: VideoWorkflow) -> dict:
    document = workflow.to_document()
    document["_id"] = document.pop("id")
    return document


def _from_document(document: dict) -> VideoWorkflow:
    document = dict(document)
    document["id"] = document.pop("_id")
    return VideoWorkflow.model_validate(document)


class MongoWorkflowRepository:
    """Stores workflows in the `video_workflows` collection."""

    def __init__(self, db: Database) -> None:
        self.collection: Collection = db[WORKFLOWS]

    def insert(self, workflow: VideoWorkflow) -> None:
        """Store a new workflow (version 0)."""
        self.collection.insert_one(_to_document(workflow))

    def get(self, workflow_id: str) -> VideoWorkflow | None:
        """The workflow, soft-deleted ones included (the service decides what to show)."""
        document = self.collection.find_one({"_id": workflow_id})
        return _from_document(document) if document else None

    def save(self, workflow: VideoWorkflow) -> VideoWorkflow:
        """Write the workflow if nobody else wrote it since it was read; bumps its version."""
        expected = workflow.version
        saved = workflow.model_copy(update={"version": expected + 1})
        result = self.collection.replace_one({"_id": workflow.id, "version": expected}, _to_document(saved))
        if result.matched_count == 0:
            raise ConflictError("The workflow was changed by someone else in the meantime. Reload it and try again.")
        return saved

    def list_for_user(self, user_id: str, *, campaign_id: str | None, page: int, page_size: int) -> WorkflowPage:
        """A page of the user's live workflows, newest activity first."""
        query: dict = {"userId": user_id, "deletedAt": None}
        if campaign_id is not None:
            query["campaignId"] = campaign_id
        total = self.collection.count_documents(query)
        cursor = (
            self.collection.find(query)
            .sort([("lastActivity", DESCENDING), ("_id", DESCENDING)])
            .skip((page - 1) * page_size)
            .limit(page_size)
        )
        return WorkflowPage([_from_document(d) for d in cursor], total, page, page_size)

    def hard_delete(self, workflow_id: str, *, version: int) -> bool:
        """Remove the workflow document for good if it is still at `version`; False when someone wrote first."""
        return self.collection.delete_one({"_id": workflow_id, "version": version}).deleted_count == 1
