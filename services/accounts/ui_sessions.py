"""Server-side UI sessions: the sign-in cookie carries only a random session token, checked on every run.

A session is one document in `ui_sessions` with the hashes of its bearer tokens (the browser tab's, and
the cookie's once the browser has exchanged its one-time handoff code for it). Revoking the session
(sign-out, password change, disabling the user) ends every copy of it at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

from services.accounts.revocation import UI_SESSIONS
from services.accounts.secret_tokens import hash_secret, new_secret

PREFIX, HANDOFF_PREFIX = "vwss_", "vwsh_"
HANDOFF_TTL = timedelta(seconds=60)
MIN_SESSION_TTL = timedelta(hours=12)  # a session with no cookie (UI_COOKIE_EXPIRY_DAYS=0) still lasts a working day


@dataclass(frozen=True)
class NewUiSession:
    token: str  # kept in the tab's server-side session state
    handoff: str  # single use, one minute: the browser exchanges it for the cookie's own token


class UiSessions:
    """Creates, resolves and ends UI sessions."""

    def __init__(self, db: Database, *, ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self.collection = db[UI_SESSIONS]
        self.ttl = max(ttl, MIN_SESSION_TTL)
        self.clock = clock

    def ensure_indexes(self) -> None:
        """Sessions are found by token hash and handoff hash, revoked by user, and expire by themselves."""
        self.collection.create_indexes(
            [
                IndexModel([("tokenHashes", ASCENDING)], name="tokenHashes"),
                IndexModel([("handoff", ASCENDING)], name="handoff", sparse=True),
                IndexModel([("userId", ASCENDING)], name="userId"),
                IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0),
            ]
        )

    def create(self, user_id: str) -> NewUiSession:
        """A new session for a user who just signed in."""
        token, handoff, now = new_secret(PREFIX), new_secret(HANDOFF_PREFIX), self.clock()
        self.collection.insert_one(
            {
                "_id": uuid.uuid4().hex,
                "userId": user_id,
                "tokenHashes": [hash_secret(token)],
                "handoff": hash_secret(handoff),
                "handoffExpiresAt": now + HANDOFF_TTL,
                "createdAt": now,
                "expiresAt": now + self.ttl,
                "revokedAt": None,
            }
        )
        return NewUiSession(token=token, handoff=handoff)

    def exchange(self, handoff: str) -> str | None:
        """The cookie's token for a live, unused handoff code (which is spent), else None."""
        now, cookie_token = self.clock(), new_secret(PREFIX)
        found = self.collection.find_one_and_update(
            {"handoff": hash_secret(handoff), "handoffExpiresAt": {"$gt": now}, **self._live(now)},
            {"$unset": {"handoff": "", "handoffExpiresAt": ""}, "$push": {"tokenHashes": hash_secret(cookie_token)}},
        )
        return cookie_token if found is not None else None

    def resolve(self, token: str | None) -> str | None:
        """The user id of a live session holding this token, else None."""
        if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 200:
            return None
        found = self.collection.find_one({"tokenHashes": hash_secret(token), **self._live(self.clock())}, {"userId": 1})
        return found["userId"] if found else None

    def end(self, token: str | None) -> None:
        """Sign-out: revoke the session holding this token, everywhere it is used."""
        if isinstance(token, str) and token.startswith(PREFIX):
            self.collection.update_many({"tokenHashes": hash_secret(token)}, {"$set": {"revokedAt": self.clock()}})

    @staticmethod
    def _live(now: datetime) -> dict:
        return {"revokedAt": None, "expiresAt": {"$gt": now}}
