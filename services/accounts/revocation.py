"""Revoked means revoked: one call ends every credential of a user, and every request re-checks the user.

`CredentialRevocation` revokes a user's refresh-token families, API keys and UI sessions and bumps the
`tokenVersion` that access tokens carry. `ActiveUsers` resolves the user behind any credential to an
existing, enabled account whose token version matches, with a cache of at most AUTH_USER_CACHE_SECONDS.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pymongo.database import Database

from services.accounts.audit import AuditLog
from services.core.errors import AuthenticationError

USERS, REFRESH_TOKENS, API_KEYS, UI_SESSIONS = "users", "refresh_tokens", "api_keys", "ui_sessions"
GONE = "This account no longer exists or is disabled. Sign in again, or ask an administrator."
STALE = "This access token was revoked (signed out everywhere, password or account changed). Sign in again."


class CredentialRevocation:
    """Ends all of a user's sign-ins at once; audited."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self.audit = AuditLog(db, clock=clock)

    def revoke_all(self, user_id: str, *, reason: str, actor: str) -> None:
        """Revoke refresh families, API keys and UI sessions, and invalidate every access token issued so far."""
        now = self.clock()
        self.db[USERS].update_one({"_id": user_id}, {"$inc": {"tokenVersion": 1}})
        for collection in (REFRESH_TOKENS, API_KEYS, UI_SESSIONS):
            self.db[collection].update_many({"userId": user_id, "revokedAt": None}, {"$set": {"revokedAt": now}})
        self.audit.record("credentials_revoked", actor=actor, userId=user_id, reason=reason)


@dataclass(frozen=True)
class ActiveUser:
    id: str
    token_version: int


class ActiveUsers:
    """Resolves a user id to an existing, enabled user; answers are cached briefly (per process)."""

    def __init__(self, db: Database, *, cache_seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.collection = db[USERS]
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, ActiveUser | None]] = {}
        self._lock = threading.Lock()

    def cached(self, user_id: str) -> tuple[bool, ActiveUser | None]:
        """(known, user) from the cache alone: known is False when the database must be asked."""
        with self._lock:
            entry = self._cache.get(user_id)
        if entry is None or self.monotonic() - entry[0] >= self.cache_seconds:
            return False, None
        return True, entry[1]

    def lookup(self, user_id: str) -> ActiveUser | None:
        """The user if they exist and are enabled (a database read, then cached)."""
        known, user = self.cached(user_id)
        if known:
            return user
        document = self.collection.find_one({"_id": user_id}, {"disabled": 1, "tokenVersion": 1})
        user = None
        if document is not None and not document.get("disabled"):
            user = ActiveUser(id=user_id, token_version=int(document.get("tokenVersion", 0)))
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()  # bounded: a flood of distinct ids cannot grow it without end
            self._cache[user_id] = (self.monotonic(), user)
        return user

    def require(self, user_id: str, *, token_version: int | None = None) -> ActiveUser:
        """The active user, or AuthenticationError; with token_version, that version must be the current one."""
        return check(self.lookup(user_id), token_version)


def check(user: ActiveUser | None, token_version: int | None) -> ActiveUser:
    """The user when present and (if given) at this token version; else AuthenticationError."""
    if user is None:
        raise AuthenticationError(GONE)
    if token_version is not None and token_version != user.token_version:
        raise AuthenticationError(STALE)
    return user
