"""Rotating refresh tokens: one use each, reuse revokes the family, only hashes are stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

from services.accounts.audit import AuditLog
from services.accounts.secret_tokens import hash_secret, new_secret
from services.core.errors import AuthenticationError

REFRESH_TOKENS = "refresh_tokens"
PREFIX = "vwsr_"


@dataclass(frozen=True)
class Rotation:
    user_id: str
    refresh_token: str


class RefreshTokens:
    """Issues, rotates and revokes refresh tokens in the `refresh_tokens` collection."""

    def __init__(
        self, db: Database, *, ttl: timedelta, reuse_grace: timedelta, audit: AuditLog, clock: Callable[[], datetime]
    ) -> None:
        self.collection = db[REFRESH_TOKENS]
        self.ttl = ttl
        self.reuse_grace = reuse_grace
        self.audit = audit
        self.clock = clock

    def ensure_indexes(self) -> None:
        """Families are revoked together; expired tokens are removed by MongoDB."""
        self.collection.create_indexes(
            [
                IndexModel([("familyId", ASCENDING)], name="familyId"),
                IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0),
            ]
        )

    def issue(self, user_id: str, *, family_id: str | None = None) -> str:
        """A new refresh token (the raw value is returned once and never stored)."""
        token = new_secret(PREFIX)
        now = self.clock()
        self.collection.insert_one(
            {
                "_id": hash_secret(token),
                "userId": user_id,
                "familyId": family_id or uuid.uuid4().hex,
                "createdAt": now,
                "expiresAt": now + self.ttl,
                "usedAt": None,
                "revokedAt": None,
            }
        )
        return token

    def rotate(self, token: str) -> Rotation:
        """Spend the token and return its successor; a spent token presented again revokes the family."""
        now = self.clock()
        token_hash = hash_secret(token)
        # One atomic claim: under concurrent refreshes of the same token exactly one caller wins.
        claimed = self.collection.find_one_and_update(
            {"_id": token_hash, "usedAt": None, "revokedAt": None, "expiresAt": {"$gt": now}},
            {"$set": {"usedAt": now}},
        )
        if claimed is not None:
            successor = self.issue(claimed["userId"], family_id=claimed["familyId"])
            self.collection.update_one({"_id": token_hash}, {"$set": {"replacedBy": hash_secret(successor)}})
            return Rotation(claimed["userId"], successor)
        self._refuse(self.collection.find_one({"_id": token_hash}), now)

    def revoke(self, token: str) -> None:
        """Log out: revoke the token's whole family (unknown tokens are ignored)."""
        found = self.collection.find_one({"_id": hash_secret(token)})
        if found is not None:
            self._revoke_family(found, reason="logout")

    def _refuse(self, found: dict | None, now: datetime) -> NoReturn:
        if found is None or found["revokedAt"] is not None:
            raise AuthenticationError("The refresh token is unknown or revoked. Sign in again.")
        if found["usedAt"] is None:
            raise AuthenticationError("The refresh token has expired. Sign in again.")
        if now - found["usedAt"] <= self.reuse_grace:
            # A concurrent refresh by the same client, not a replay: refuse without punishing the family.
            raise AuthenticationError("The refresh token was just used by another request; use its successor.")
        self._revoke_family(found, reason="reuse")
        raise AuthenticationError(
            "The refresh token was already used, so every token of this sign-in was revoked. Sign in again."
        )

    def _revoke_family(self, found: dict, *, reason: str) -> None:
        self.collection.update_many(
            {"familyId": found["familyId"], "revokedAt": None}, {"$set": {"revokedAt": self.clock()}}
        )
        self.audit.record("refresh_family_revoked", actor=found["userId"], familyId=found["familyId"], reason=reason)
