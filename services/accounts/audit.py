"""An append-only audit trail in the `audit_log` collection. Records never hold secrets.

Records expire after AUDIT_LOG_TTL_DAYS (a TTL index on `at`). Repeated events of one kind for one
identity within one window (every 429 of a flood) are written once: `record_once`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure

log = logging.getLogger(__name__)
AUDIT_LOG = "audit_log"
TTL_INDEX = "at_ttl"
_SEEN_LIMIT = 10_000  # keys remembered in process, so a flood of 429s does not even reach the database


class AuditLog:
    """Writes one document per security-relevant event (429s, tier changes, token reuse, key changes)."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime], ttl_days: int | None = None) -> None:
        self.collection = db[AUDIT_LOG]
        self.clock = clock
        self.ttl_days = ttl_days
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def ensure_indexes(self) -> None:
        """Events are read by actor and by kind, newest first; with a TTL, old records expire."""
        self.collection.create_indexes(
            [
                IndexModel([("actor", ASCENDING), ("at", DESCENDING)], name="actor_at"),
                IndexModel([("event", ASCENDING), ("at", DESCENDING)], name="event_at"),
            ]
        )
        if self.ttl_days is not None:
            self._ensure_ttl(self.ttl_days * 86_400)

    def _ensure_ttl(self, seconds: int) -> None:
        ttl = IndexModel([("at", ASCENDING)], name=TTL_INDEX, expireAfterSeconds=seconds)
        try:
            self.collection.create_indexes([ttl])
        except OperationFailure:  # the setting changed since the index was made: replace it
            log.info("audit_log TTL changed to %s days; rebuilding its index", self.ttl_days)
            self.collection.drop_index(TTL_INDEX)
            self.collection.create_indexes([ttl])

    def record(self, event: str, *, actor: str, **details: object) -> None:
        """Store one event; details must be plain, non-secret values."""
        self.collection.insert_one({"event": event, "actor": actor, "at": self.clock(), **details})

    def record_once(self, event: str, *, key: str, actor: str, **details: object) -> bool:
        """Store the event unless one with this key (event, identity, limit, window) exists; True when stored."""
        record_id = f"{event}|{key}"
        with self._lock:
            if record_id in self._seen:
                return False
            if len(self._seen) >= _SEEN_LIMIT:
                self._seen.clear()
            self._seen.add(record_id)
        try:
            self.collection.insert_one({"_id": record_id, "event": event, "actor": actor, "at": self.clock(), **details})
        except DuplicateKeyError:  # another process wrote it first
            return False
        return True
