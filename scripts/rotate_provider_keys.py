"""Command: re-encrypt every stored provider key under the newest master key (safe to kill and rerun).

Usage: python scripts/rotate_provider_keys.py            rotate
       python scripts/rotate_provider_keys.py --new-key  print a fresh master key to append to the list
"""

from __future__ import annotations

import sys

from services.bootstrap import connect
from services.core.clock import utc_now
from services.core.settings import load_settings
from services.providers.keys import build_vault, new_master_key


def main(argv: list[str]) -> int:
    """Run the command; returns the exit status."""
    if argv[1:] == ["--new-key"]:
        print(new_master_key())
        return 0
    settings = load_settings()
    master = settings.PROVIDER_KEY_MASTER_KEYS
    if master is None:
        print("PROVIDER_KEY_MASTER_KEYS is not set; there is nothing to rotate.", file=sys.stderr)
        return 2
    client, embedded = connect(settings)
    try:
        vault = build_vault(master.get_secret_value(), client[settings.MONGODB_DATABASE], clock=utc_now)
        assert vault is not None
        rotated = vault.rotate()
        print(f"Re-encrypted {rotated} provider key record(s) under master key {vault.master.active_id!r}.")
        return 0
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
