"""Personal API keys: shown once, stored hashed, listed and revoked by their owner."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

from services.accounts.audit import AuditLog
from services.accounts.secret_tokens import hash_secret, new_secret
from services.core.errors import AuthenticationError, LimitReachedError, NotFoundError
from services.core.validation import clean_text
from services.workflows.domain import CamelModel

API_KEYS = "api_keys"
PREFIX = "vwsk_"
MAX_KEYS_PER_USER = 20


class ApiKey(CamelModel):
    id: str
    user_id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class NewApiKey(CamelModel):
    key: ApiKey
    secret: str


KEY_CREATION = "api_keys"  # the rate-limit operation of creating a key


class CreationLimit(Protocol):
    def check(self, operation: str, *, identity: str, user_id: str | None = None) -> object: ...


class ApiKeys:
    """The `api_keys` collection; the raw key exists only in the create response."""

    def __init__(
        self, db: Database, *, audit: AuditLog, clock: Callable[[], datetime], limits: CreationLimit | None = None
    ) -> None:
        self.collection = db[API_KEYS]
        self.audit = audit
        self.clock = clock
        self.limits = limits  # caps creations per user per day (RATE_LIMIT_API_KEYS)

    def ensure_indexes(self) -> None:
        """Keys are found by hash and listed by owner."""
        self.collection.create_indexes(
            [
                IndexModel([("hash", ASCENDING)], unique=True, name="hash_unique"),
                IndexModel([("userId", ASCENDING), ("createdAt", ASCENDING)], name="userId_createdAt"),
            ]
        )

    def create(self, *, user_id: str, name: str) -> NewApiKey:
        """A new key for the user; its secret is returned here and never again."""
        label = clean_text(name, field="Key name", max_length=100, required=True)
        live = self.collection.count_documents({"userId": user_id, "revokedAt": None})
        if live >= MAX_KEYS_PER_USER:
            raise LimitReachedError(f"You have {live} API keys, the limit is {MAX_KEYS_PER_USER}. Revoke one first.")
        if self.limits is not None:  # after every check: a refused creation costs nothing; a revoke gives nothing back
            self.limits.check(KEY_CREATION, identity=user_id, user_id=user_id)
        secret = new_secret(PREFIX)
        key = ApiKey(id=uuid.uuid4().hex[:16], user_id=user_id, name=label, prefix=secret[:12], created_at=self.clock())
        document = key.to_document()
        document["_id"] = document.pop("id")
        self.collection.insert_one({**document, "hash": hash_secret(secret)})
        self.audit.record("api_key_created", actor=user_id, keyId=key.id)
        return NewApiKey(key=key, secret=secret)

    def list_for_user(self, user_id: str) -> list[ApiKey]:
        """The user's keys, revoked ones included, oldest first."""
        return [_key_from(d) for d in self.collection.find({"userId": user_id}).sort("createdAt", ASCENDING)]

    def revoke(self, *, user_id: str, key_id: str) -> ApiKey:
        """Revoke one of the user's keys (someone else's key id is reported as not found)."""
        found = self.collection.find_one_and_update(
            {"_id": key_id, "userId": user_id}, {"$set": {"revokedAt": self.clock()}}, return_document=True
        )
        if found is None:
            raise NotFoundError(f"API key {key_id} was not found.")
        self.audit.record("api_key_revoked", actor=user_id, keyId=key_id)
        return _key_from(found)

    def authenticate(self, secret: str) -> ApiKey:
        """The live key with this secret, or AuthenticationError."""
        found = self.collection.find_one_and_update(
            {"hash": hash_secret(secret), "revokedAt": None}, {"$set": {"lastUsedAt": self.clock()}}
        )
        if found is None:
            raise AuthenticationError("The API key is unknown or revoked.")
        return _key_from(found)


def _key_from(document: dict) -> ApiKey:
    document = {k: v for k, v in document.items() if k != "hash"}
    document["id"] = document.pop("_id")
    return ApiKey.model_validate(document)
