"""Move a user to a rate-limit tier from RATE_LIMIT_TIERS (or back to the defaults); the change is audited.

.venv/bin/python scripts/set_rate_limit_tier.py USERNAME TIER [--actor NAME]
.venv/bin/python scripts/set_rate_limit_tier.py USERNAME --default
"""

from __future__ import annotations

import argparse
import getpass
import sys

from services.bootstrap import bootstrap
from services.core.errors import StudioError


def main() -> int:
    """Set or clear one user's tier."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("username")
    parser.add_argument("tier", nargs="?", default=None)
    parser.add_argument("--default", action="store_true", help="back to the default limits")
    parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who made the change (audit log)")
    args = parser.parse_args()
    if (args.tier is None) != args.default:
        parser.error("name a TIER, or pass --default")
    runtime = bootstrap()
    try:
        user = runtime.users.get_by_username(args.username)
        if user is None:
            print(f"No user {args.username!r}.", file=sys.stderr)
            return 1
        runtime.api.rate_limits.set_tier(user_id=user.id, tier=args.tier, actor=args.actor)
    except StudioError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        runtime.close()
    print(f"{user.username}: {args.tier or 'default limits'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
