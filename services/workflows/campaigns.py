"""Campaigns: named groups of a user's workflows and creatives. Each user sees only their own.

A campaign's id is unique per user, not globally: `_id` is internal, `campaignId` is the id workflows carry. So two
users can both send the spec's `"campaign_123"` and each gets their own campaign; another user's is never attached.
"""

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
    """A user's campaign names and ids are unique; lists are per user. Older campaigns get their id field."""
    collection = db[CAMPAIGNS]
    for document in collection.find({"campaignId": {"$exists": False}}, {"_id": 1}):
        collection.update_one({"_id": document["_id"]}, {"$set": {"campaignId": document["_id"]}})
    collection.create_indexes(
        [
            IndexModel([("userId", ASCENDING), ("name", ASCENDING)], unique=True, name="userId_name_unique"),
            IndexModel([("userId", ASCENDING), ("campaignId", ASCENDING)], unique=True, name="userId_campaignId_unique"),
        ]
    )


class CampaignService:
    """Create and list a user's campaigns; ownership is enforced on every read."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime]) -> None:
        self.collection = db[CAMPAIGNS]
        self.clock = clock

    def create(self, *, user_id: str, name: str, campaign_id: str | None = None) -> Campaign:
        """A new campaign for this user (with this id, or a fresh one); the name must be new among theirs."""
        campaign = Campaign(
            id=campaign_id or uuid.uuid4().hex,
            user_id=user_id,
            created_at=self.clock(),
            name=clean_text(name, field="Campaign name", max_length=100, required=True),
        )
        document = campaign.to_document()
        document["campaignId"] = document.pop("id")
        document["_id"] = uuid.uuid4().hex
        try:
            self.collection.insert_one(document)
        except DuplicateKeyError as exc:
            if "campaignId" in str(exc):
                raise ValidationError(f"You already have a campaign with the id {campaign.id!r}.") from None
            raise ValidationError(f"You already have a campaign called {campaign.name!r}. Pick it instead.") from None
        return campaign

    def ensure(self, *, user_id: str, campaign_id: str) -> Campaign:
        """The user's campaign with this id; when they have none, it is created for them, named after the id."""
        found = self.collection.find_one({"userId": user_id, "campaignId": campaign_id})
        if found is not None:
            return _campaign_from(found)
        for attempt in range(1, 20):
            name = campaign_id if attempt == 1 else f"{campaign_id} ({attempt})"  # a name they already use elsewhere
            try:
                return self.create(user_id=user_id, name=name, campaign_id=campaign_id)
            except ValidationError:
                found = self.collection.find_one({"userId": user_id, "campaignId": campaign_id})
                if found is not None:  # a concurrent request created it first
                    return _campaign_from(found)
        raise ValidationError(f"Could not create a campaign for {campaign_id!r}. Create it on the Creatives page.")

    def rename(self, *, user_id: str, campaign_id: str, name: str) -> Campaign:
        """Give one of the user's campaigns a new name (new among theirs)."""
        self.get(user_id=user_id, campaign_id=campaign_id)
        cleaned = clean_text(name, field="Campaign name", max_length=100, required=True)
        try:
            self.collection.update_one({"userId": user_id, "campaignId": campaign_id}, {"$set": {"name": cleaned}})
        except DuplicateKeyError:
            raise ValidationError(f"You already have a campaign called {cleaned!r}. Pick another name.") from None
        return self.get(user_id=user_id, campaign_id=campaign_id)

    def list(self, *, user_id: str) -> list[Campaign]:
        """The user's campaigns, by name."""
        return [_campaign_from(d) for d in self.collection.find({"userId": user_id}).sort("name", ASCENDING)]

    def get(self, *, user_id: str, campaign_id: str) -> Campaign:
        """The user's campaign; only another user's with this id → ForbiddenError, none → NotFoundError."""
        document = self.collection.find_one({"userId": user_id, "campaignId": campaign_id})
        if document is not None:
            return _campaign_from(document)
        if self.collection.find_one({"campaignId": campaign_id}, {"_id": 1}) is not None:
            raise ForbiddenError("This campaign belongs to another user.")
        raise NotFoundError("That campaign does not exist.")


def _campaign_from(document: dict) -> Campaign:
    document = dict(document)
    document.pop("_id")
    document["id"] = document.pop("campaignId")
    return Campaign.model_validate(document)
