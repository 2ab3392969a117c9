"""The admin role: who may see everyone's analytics. Granted and revoked by command, audited.

The command is scripts/admins.py (make grant-admin / revoke-admin).
"""

from __future__ import annotations

import logging

from pymongo import ReturnDocument

from services.accounts.audit import AuditLog
from services.accounts.users import User, UserService

log = logging.getLogger(__name__)

ADMIN_ROLE = "admin"
ADMIN_BOOTSTRAP = "admin_bootstrap"  # when each ADMIN_USERNAMES entry was first seen


def is_admin(user: User) -> bool:
    """True when the user holds the admin role (and may sign in)."""
    return ADMIN_ROLE in user.roles and not user.disabled


class AdminRoles:
    """Grants and revokes the admin role; every change is written to the audit log."""

    def __init__(self, users: UserService, audit: AuditLog) -> None:
        self.users = users
        self.audit = audit

    def grant(self, *, username: str, actor: str) -> User:
        """Make the user an admin."""
        return self._set(username, actor=actor, granted=True)

    def revoke(self, *, username: str, actor: str) -> User:
        """Take the admin role away from the user."""
        return self._set(username, actor=actor, granted=False)

    def admins(self) -> list[User]:
        """Every user holding the admin role."""
        return [user for user in self.users.everyone() if ADMIN_ROLE in user.roles]

    def bootstrap(self, usernames: list[str]) -> list[str]:
        """Grant the role to listed users (ADMIN_USERNAMES) whose account existed before the name was first listed.

        The first start that sees a name records when (`admin_bootstrap`); an account registered after that
        moment is never granted by the setting (open sign-up would let anyone claim a listed name), only by
        command. Returns the names not granted.
        """
        seen = self.users.collection.database[ADMIN_BOOTSTRAP]
        refused = []
        for username in usernames:
            # Read the account before the name is recorded: an account found here existed before this start listed
            # it, even when both fall in the same millisecond (the database keeps times to the millisecond only), so
            # the first sight also records which account held the name then.
            user = self.users.get_by_username(username)
            earlier = seen.find_one_and_update(
                {"_id": username},
                {"$setOnInsert": {"firstSeenAt": self.users.clock(), "heldBy": user.id if user else None}},
                upsert=True,
                return_document=ReturnDocument.BEFORE,
            )
            registered_after_listing = (
                earlier is not None
                and user is not None
                and user.id != earlier.get("heldBy")
                and user.created_at >= earlier["firstSeenAt"]
            )
            if user is None or registered_after_listing:
                refused.append(username)
            elif ADMIN_ROLE not in user.roles:
                self.grant(username=username, actor="settings:ADMIN_USERNAMES")
        if refused:
            log.warning(
                "ADMIN_USERNAMES: %s not granted: no such account, or it was registered after the name was first "
                "listed (anyone may sign up). Grant by command: make grant-admin ADMIN=<name>.",
                ", ".join(refused),
            )
        return refused

    def _set(self, username: str, *, actor: str, granted: bool) -> User:
        user = self.users.set_role(username=username, role=ADMIN_ROLE, granted=granted)
        self.audit.record(
            "admin_granted" if granted else "admin_revoked", actor=actor, userId=user.id, username=user.username
        )
        return user
