"""Command: disable, enable or delete an account, or sign a user out everywhere.

Usage: python scripts/users.py disable USERNAME          # every credential stops working at once
       python scripts/users.py enable USERNAME
       python scripts/users.py revoke-sessions USERNAME  # UI sessions, refresh tokens, API keys, access tokens
       python scripts/users.py delete USERNAME           # revokes everything, then removes the account
Each change is written to audit_log (--actor names who made it).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from services.accounts.users import UserService
from services.bootstrap import connect
from services.core.clock import utc_now
from services.core.errors import NotFoundError, StudioError
from services.core.settings import load_settings

ACTIONS = ("disable", "enable", "revoke-sessions", "delete")


def run(users: UserService, action: str, username: str, *, actor: str) -> str:
    """Apply one action; returns what to print."""
    if action in ("disable", "enable"):
        user = users.set_disabled(username=username, disabled=action == "disable", actor=actor)
        return f"{user.username}: {'disabled, every credential revoked' if user.disabled else 'enabled'}"
    if action == "delete":
        return f"{users.delete(username=username, actor=actor).username}: deleted, every credential revoked"
    user = users.get_by_username(username)
    if user is None:
        raise NotFoundError(f"No user {username!r}.")
    users.revoke_sessions(user_id=user.id, actor=actor)
    return f"{user.username}: signed out everywhere"


def main(argv: list[str]) -> int:
    """Run the command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python scripts/users.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("username")
    parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who made the change (audit log)")
    args = parser.parse_args(argv)
    settings = load_settings()
    client, embedded = connect(settings)
    try:
        users = UserService(client[settings.MONGODB_DATABASE], clock=utc_now, bcrypt_rounds=settings.BCRYPT_ROUNDS)
        print(run(users, args.action, args.username, actor=args.actor))
    except StudioError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
