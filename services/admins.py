"""The admin role: who may see everyone's analytics. Granted and revoked by command, audited.

Usage: python -m services.admins grant USERNAME [--actor NAME]
       python -m services.admins revoke USERNAME [--actor NAME]
       python -m services.admins list
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from services.audit import AuditLog
from services.errors import StudioError
from services.users import User, UserService

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
            log.warning("ADMIN_USERNAMES names users that do not exist yet: %s. Create them, then restart.",
                        ", ".join(missing))
        return missing

    def _set(self, username: str, *, actor: str, granted: bool) -> User:
        user = self.users.set_role(username=username, role=ADMIN_ROLE, granted=granted)
        self.audit.record("admin_granted" if granted else "admin_revoked", actor=actor, userId=user.id,
                          username=user.username)
        return user


def main(argv: list[str]) -> int:
    """Run the command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m services.admins", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["grant", "revoke", "list"])
    parser.add_argument("username", nargs="?")
    parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who made the change (audit log)")
    args = parser.parse_args(argv)
    if (args.username is None) != (args.action == "list"):
        parser.error("grant and revoke take one USERNAME; list takes none")
    from services.runtime import connect  # imported here: runtime imports this module
    from services.settings import load_settings
    from services.workflow_service import utc_now

    settings = load_settings()
    client, embedded = connect(settings)
    try:
        db = client[settings.MONGODB_DATABASE]
        roles = AdminRoles(UserService(db, clock=utc_now), AuditLog(db, clock=utc_now))
        if args.action == "list":
            print("\n".join(f"{u.username} ({u.name})" for u in roles.admins()) or "No admins.")
            return 0
        change = roles.grant if args.action == "grant" else roles.revoke
        user = change(username=args.username, actor=args.actor)
    except StudioError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()
    print(f"{user.username}: {'admin' if ADMIN_ROLE in user.roles else 'not an admin'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
