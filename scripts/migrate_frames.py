"""Renumber stored workflows' frames from 0 (the app also does this at every start; reruns change nothing).

.venv/bin/python scripts/migrate_frames.py
"""

from __future__ import annotations

from services.bootstrap import connect
from services.core.settings import load_settings
from services.studio.migrations import migrate_frames_from_zero


def main() -> int:
    """Run the migration against the configured database and say how many workflows it renumbered."""
    settings = load_settings()
    client, embedded = connect(settings)
    try:
        migrated = migrate_frames_from_zero(client[settings.MONGODB_DATABASE])
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()
    print(f"renumbered {migrated} workflow(s) from frame 0")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
