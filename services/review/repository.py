"""Review links and stakeholder comments in MongoDB (`review_links`, `review_comments`)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

from services.review.domain import ReviewComment, ReviewLink

LINKS, COMMENTS = "review_links", "review_comments"


def ensure_review_indexes(db: Database) -> None:
    """Tokens are found by hash (unique); links and comments are listed per workflow."""
    db[LINKS].create_indexes(
        [
            IndexModel([("tokenHash", ASCENDING)], unique=True, name="tokenHash"),
            IndexModel([("workflowId", ASCENDING), ("createdAt", DESCENDING)], name="workflowId_createdAt"),
        ]
    )
    db[COMMENTS].create_indexes(
        [IndexModel([("workflowId", ASCENDING), ("createdAt", ASCENDING)], name="workflowId_createdAt")]
    )


def _document(record: ReviewLink | ReviewComment) -> dict:
    document = record.to_document()
    document["_id"] = document.pop("id")
    return document


def _link(document: dict) -> ReviewLink:
    return ReviewLink.model_validate({**document, "id": document["_id"]})


def _comment(document: dict) -> ReviewComment:
    return ReviewComment.model_validate({**document, "id": document["_id"]})


class ReviewRepository:
    """Links by token hash or id; comments by workflow or link, oldest first."""

    def __init__(self, db: Database) -> None:
        self.links, self.comments = db[LINKS], db[COMMENTS]

    def insert_link(self, link: ReviewLink) -> None:
        """Store a new link."""
        self.links.insert_one(_document(link))

    def link_by_token_hash(self, token_hash: str) -> ReviewLink | None:
        """The link whose token hashes to token_hash."""
        found = self.links.find_one({"tokenHash": token_hash})
        return _link(found) if found else None

    def link(self, link_id: str) -> ReviewLink | None:
        """The link with this id."""
        found = self.links.find_one({"_id": link_id})
        return _link(found) if found else None

    def links_for_workflow(self, workflow_id: str) -> list[ReviewLink]:
        """Every link of a workflow, newest first."""
        cursor = self.links.find({"workflowId": workflow_id}).sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
        return [_link(d) for d in cursor]

    def revoke(self, link_id: str, now: datetime) -> None:
        """Mark the link revoked (once)."""
        self.links.update_one({"_id": link_id, "revokedAt": None}, {"$set": {"revokedAt": now}})

    def insert_comment(self, comment: ReviewComment) -> None:
        """Store one comment."""
        self.comments.insert_one(_document(comment))

    def comments_for_workflow(self, workflow_id: str) -> list[ReviewComment]:
        """Every stakeholder comment on a workflow, oldest first."""
        cursor = self.comments.find({"workflowId": workflow_id}).sort([("createdAt", ASCENDING), ("_id", ASCENDING)])
        return [_comment(d) for d in cursor]

    def comments_for_link(self, link_id: str) -> list[ReviewComment]:
        """The comments made through one link, oldest first."""
        cursor = self.comments.find({"linkId": link_id}).sort([("createdAt", ASCENDING), ("_id", ASCENDING)])
        return [_comment(d) for d in cursor]
