"""Command: list, then remove, media whose workflow is gone, and GridFS uploads abandoned mid-way.

Usage: python scripts/sweep_media.py [--dry-run] [--upload-grace-seconds N]   (or `make sweep-media`)

Works on the configured store (MEDIA_STORE). Safe to rerun: a second run finds nothing left to remove.
Unfinished GridFS uploads (chunks with no files document, left by a killed writer) are removed only once
older than the grace period, so an upload still running is never touched.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from services.bootstrap import connect
from services.core.clock import utc_now
from services.core.settings import load_settings
from services.storage.media_maintenance import sweep_orphans
from services.storage.selection import build_media_store


def main(argv: list[str]) -> int:
    """Run the sweep; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python scripts/sweep_media.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    parser.add_argument(
        "--upload-grace-seconds", type=float, default=3600.0, help="age before an unfinished upload is removed"
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    client, embedded = connect(settings)
    try:
        db = client[settings.MONGODB_DATABASE]
        result = sweep_orphans(
            db,
            build_media_store(settings, db),
            dry_run=args.dry_run,
            now=utc_now(),
            upload_grace=timedelta(seconds=args.upload_grace_seconds),
            report=print,
        )
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()
    verb = "found" if args.dry_run else "removed"
    print(
        f"done: {verb} media of {len(result.orphan_workflows)} deleted workflow(s) and "
        f"{result.unfinished_uploads} unfinished upload(s) ({result.chunks_removed} chunks)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
