"""Command: copy a files media store (DATA_DIR/media) into GridFS, verified by size and SHA-256.

Usage: python scripts/migrate_media.py [--source DIR] [--remove-files]   (or `make migrate-media`)

Idempotent and resumable: a file GridFS already holds whole is skipped, a copy cut short by a kill is
invisible (GridFS writes its files document last) and is made again on the next run. Local files stay
until a run with --remove-files, which deletes only files verified in GridFS.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.bootstrap import connect
from services.core.settings import load_settings
from services.storage.gridfs_store import GridFSMediaStore
from services.storage.media_maintenance import migrate_files_to_gridfs


def main(argv: list[str]) -> int:
    """Run the migration; returns the exit status (1 when a file failed verification)."""
    parser = argparse.ArgumentParser(
        prog="python scripts/migrate_media.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, help="the files store to copy (default: MEDIA_DIR, i.e. DATA_DIR/media)")
    parser.add_argument("--remove-files", action="store_true", help="delete each local file once GridFS holds it whole")
    args = parser.parse_args(argv)
    settings = load_settings()
    source = (args.source or settings.media_dir).resolve()
    client, embedded = connect(settings)
    try:
        target = GridFSMediaStore(client[settings.MONGODB_DATABASE], scratch_dir=settings.DATA_DIR / "media-scratch")
        result = migrate_files_to_gridfs(source, target, remove_files=args.remove_files, report=print)
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()
    print(
        f"done: {result.copied} copied ({result.bytes_copied} bytes), {result.already_there} already in GridFS, "
        f"{len(result.failed)} failed, {result.removed} local files removed"
    )
    if not args.remove_files and result.copied + result.already_there:
        print("Local files were kept; run again with --remove-files once the app uses MEDIA_STORE=gridfs.")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
