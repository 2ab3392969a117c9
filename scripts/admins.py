"""Command: grant, revoke or list the admin role.

Usage: python scripts/admins.py grant USERNAME [--actor NAME]
       python scripts/admins.py revoke USERNAME [--actor NAME]
       python scripts/admins.py list
"""

from __future__ import annotations

import argparse
import getpass
import sys

from services.accounts.admins import ADMIN_ROLE, AdminRoles
from services.accounts.audit import AuditLog
from services.accounts.users import UserService
from services.bootstrap import connect
from services.core.clock import utc_now
from services.core.errors import StudioError
from services.core.settings import load_settings


def main(argv: list[str]) -> int:
    """Run the command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python scripts/admins.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["grant", "revoke", "list"])
    parser.add_argument("username", nargs="?")
    parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who made the change (audit log)")
    args = parser.parse_args(argv)
    if (args.username is None) != (args.action == "list"):
        parser.error("grant and revoke take one USERNAME; list takes none")
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
