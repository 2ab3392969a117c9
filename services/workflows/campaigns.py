"""Campaigns: named groups of a user's workflows and creatives. Each user sees only their own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.core.errors import ForbiddenError, NotFoundError, ValidationError
from services.core.validation import clean_text
from services.workflows.domain import CamelModel

CAMPAIGNS = "campaigns"


class Campaign(CamelModel):
    id: str
    user_id: str
    name: str
    created_at: datetime


def ensure_campaign_indexes(db: Database) -> None:
    """A user's campaign names are unique; lists are per user."""
    db[CAMPAIGNS].create_indexes(
        [
            IndexModel([("userId", ASCENDING), ("name", ASCENDING)], unique=True, name="userId_name_unique"),
        ]
    )


class CampaignService:
    """Create and list a user's campaigns; ownership is enforced on every read."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime]) -> None:
        self.collection = db[CAMPAIGNS]
        self.clock = clock

    def create(self, *, user_id: str, name: str) -> Campaign:
        """A new campaign for this user; the name must be new among theirs."""
        campaign = Campaign(
            id=uuid.uuid4().hex,
            user_id=user_id,
            created_at=self.clock(),
            name=clean_text(name, field="Campaign name", max_length=100, required=True),
        )
        document = campaign.to_document()
        document["_id"] = document.pop("id")
        try:
            self.collection.insert_one(document)
        except DuplicateKeyError:
            raise ValidationError(f"You already have a campaign called {campaign.name!r}. Pick it instead.") from None
        return campaign

    def list(self, *, user_id: str) -> list[Campaign]:
        """The user's campaigns, by name."""
        return [_campaign_from(d) for d in self.collection.find({"userId": user_id}).sort("name", ASCENDING)]

    def get(self, *, user_id: str, campaign_id: str) -> Campaign:
        """The user's campaign; another user's → ForbiddenError, missing → NotFoundError."""
        document = self.collection.find_one({"_id": campaign_id})
        if document is None:
            raise NotFoundError("That campaign does not exist.")
        campaign = _campaign_from(document)
        if campaign.user_id != user_id:
            raise ForbiddenError("This campaign belongs to another user.")
        return campaign


def _campaign_from(document: dict) -> Campaign:
    document = dict(document)
    document["id"] = document.pop("_id")
    return Campaign.model_validate(document)
