"""Idempotency keys for generation requests, kept in MongoDB (`idempotency_keys`).

The same key and body replay the stored response; another body is refused; a key whose first
request is still running is refused with a conflict. Only successful responses are stored, so a
failed request can be retried with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.core.errors import ConflictError, ValidationError

IDEMPOTENCY_KEYS = "idempotency_keys"
MAX_KEY_LENGTH = 255


class IdempotencyKeyInUseError(ConflictError):
    """The first request with this key is still running."""

    code = "idempotency_key_in_use"


class IdempotencyKeyReusedError(ValidationError):
    """The key was already used with a different request body."""

    code = "idempotency_key_reused"


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: object


def fingerprint(*parts: object) -> str:
    """A stable hash of the request (method, path and canonical JSON body)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


class IdempotencyStore:
    """Claims keys atomically (unique _id) and stores the finished responses."""

    def __init__(self, db: Database, *, ttl: timedelta, stale_after: timedelta, clock: Callable[[], datetime]) -> None:
        self.collection = db[IDEMPOTENCY_KEYS]
        self.ttl = ttl
        self.stale_after = stale_after
        self.clock = clock

    def ensure_indexes(self) -> None:
        """Records expire after IDEMPOTENCY_TTL_SECONDS."""
        self.collection.create_indexes([IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0)])

    def begin(self, *, user_id: str, key: str, request_hash: str) -> StoredResponse | None:
        """Claim the key (None: go ahead), or the stored response to replay."""
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ValidationError(f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable characters.")
        record_id = _record_id(user_id, key)
        now = self.clock()
        try:
            self.collection.insert_one(
                {
                    "_id": record_id,
                    "requestHash": request_hash,
                    "state": "running",
                    "startedAt": now,
                    "expiresAt": now + self.ttl,
                }
            )
            return None
        except DuplicateKeyError:
            pass
        found = self.collection.find_one({"_id": record_id})
        if found is None:  # expired between the insert and the read: claim again
            return self.begin(user_id=user_id, key=key, request_hash=request_hash)
        if found["requestHash"] != request_hash:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was already used with a different request. Use a new key for a new request."
            )
        if found["state"] == "done":
            return StoredResponse(found["statusCode"], json.loads(found["body"]))
        if now - found["startedAt"] < self.stale_after:
            raise IdempotencyKeyInUseError(
                "A request with this Idempotency-Key is still running. Wait for it, then retry to get its response."
            )
        # The first attempt died without an answer; let this one take over.
        taken = self.collection.find_one_and_update(
            {"_id": record_id, "startedAt": found["startedAt"]}, {"$set": {"startedAt": now}}
        )
        if taken is None:
            raise IdempotencyKeyInUseError("Another request just took over this Idempotency-Key.")
        return None

    def finish(self, *, user_id: str, key: str, status_code: int, body: object) -> None:
        """Store the response to replay for this key."""
        self.collection.update_one(
            {"_id": _record_id(user_id, key)},
            {"$set": {"state": "done", "statusCode": status_code, "body": json.dumps(body), "finishedAt": self.clock()}},
        )

    def abandon(self, *, user_id: str, key: str) -> None:
        """Release the key after a failure, so the same key can retry."""
        self.collection.delete_one({"_id": _record_id(user_id, key), "state": "running"})


def _record_id(user_id: str, key: str) -> str:
    return hashlib.sha256(f"{user_id}\x00{key}".encode()).hexdigest()
