"""The admin role: who may see everyone's analytics. Granted and revoked by command, audited.

The command is scripts/admins.py (make grant-admin / revoke-admin).
"""

from __future__ import annotations

import logging

from services.accounts.audit import AuditLog
from services.accounts.users import User, UserService

log = logging.getLogger(__name__)

ADMIN_ROLE = "admin"


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
        """Grant the role to the listed users who exist and lack it (ADMIN_USERNAMES); returns the names not found."""
        missing = []
        for username in usernames:
            user = self.users.get_by_username(username)
            if user is None:
                missing.append(username)
            elif ADMIN_ROLE not in user.roles:
                self.grant(username=username, actor="settings:ADMIN_USERNAMES")
        if missing:
            log.warning(
                "ADMIN_USERNAMES names users that do not exist yet: %s. Create them, then restart.", ", ".join(missing)
            )
        return missing

    def _set(self, username: str, *, actor: str, granted: bool) -> User:
        user = self.users.set_role(username=username, role=ADMIN_ROLE, granted=granted)
        self.audit.record(
            "admin_granted" if granted else "admin_revoked", actor=actor, userId=user.id, username=user.username
        )
        return user
