"""Command: re-encrypt every stored provider key under the newest master key (safe to kill and rerun).

Usage: python -m services.rotate_provider_keys            rotate
       python -m services.rotate_provider_keys --new-key  print a fresh master key to append to the list
"""

from __future__ import annotations

import sys

from services.provider_keys import build_vault, new_master_key
from services.runtime import connect
from services.settings import load_settings
from services.workflow_service import utc_now


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
