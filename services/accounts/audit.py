"""An append-only audit trail in the `audit_log` collection. Records never hold secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

AUDIT_LOG = "audit_log"


class AuditLog:
    """Writes one document per security-relevant event (429s, tier changes, token reuse, key changes)."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime]) -> None:
        self.collection = db[AUDIT_LOG]
        self.clock = clock

    def ensure_indexes(self) -> None:
        """Events are read by actor and by kind, newest first."""
        self.collection.create_indexes(
            [
                IndexModel([("actor", ASCENDING), ("at", DESCENDING)], name="actor_at"),
                IndexModel([("event", ASCENDING), ("at", DESCENDING)], name="event_at"),
            ]
        )

    def record(self, event: str, *, actor: str, **details: object) -> None:
        """Store one event; details must be plain, non-secret values."""
        self.collection.insert_one({"event": event, "actor": actor, "at": self.clock(), **details})
