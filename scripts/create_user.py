"""Create an account from the shell (the same users the UI sign-in and POST /api/auth/token use).

    .venv/bin/python scripts/create_user.py USERNAME [--name NAME]    # asks for the password

The password can come from STUDIO_PASSWORD instead (for scripts). Uses the same settings as the app:
with MONGODB_URI unset it connects to the embedded database (starting it if the app is not running).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from services.bootstrap import bootstrap
from services.core.errors import StudioError


def main() -> int:
    """Register one user; prints its id."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("username")
    parser.add_argument("--name", default=None, help="display name (default: the username)")
    args = parser.parse_args()
    password = os.environ.get("STUDIO_PASSWORD") or getpass.getpass("Password (8+ characters): ")
    runtime = bootstrap()
    try:
        user = runtime.users.register(username=args.username, password=password, name=args.name or args.username)
    except StudioError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        runtime.close()
    print(f"created user {user.username} ({user.id})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
