"""Media housekeeping behind scripts/: the orphan sweep, and copying a files store into GridFS.

Both are safe to kill and rerun: the sweep only removes what is orphaned at that moment, and the migration
skips every file GridFS already holds whole (same size and SHA-256) and verifies each copy by reading it back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from pymongo.database import Database

from services.storage.gridfs_store import FILE_PIECE, GridFSMediaStore
from services.storage.media_store import MediaStore, is_media_key

Report = Callable[[str], None]


@dataclass
class SweepResult:
    """What a sweep found (and removed, unless it was a dry run)."""

    orphan_workflows: list[str] = field(default_factory=list)
    unfinished_uploads: int = 0
    chunks_removed: int = 0


def sweep_orphans(
    db: Database,
    media: MediaStore,
    *,
    dry_run: bool,
    now: datetime,
    upload_grace: timedelta,
    report: Report,
) -> SweepResult:
    """List, then remove, media of workflows that no longer exist (and GridFS uploads abandoned mid-way)."""
    result = SweepResult()
    stored = sorted(media.workflow_ids())
    alive = {doc["_id"] for doc in db["video_workflows"].find({"_id": {"$in": stored}}, {"_id": 1})} if stored else set()
    result.orphan_workflows = [workflow_id for workflow_id in stored if workflow_id not in alive]
    for workflow_id in result.orphan_workflows:
        report(f"orphan: workflows/{workflow_id}/ (the workflow is gone)")
    unfinished = media.unfinished_uploads(older_than=upload_grace, now=now) if isinstance(media, GridFSMediaStore) else []
    result.unfinished_uploads = len(unfinished)
    for file_id in unfinished:
        report(f"orphan: unfinished GridFS upload {file_id}")
    if dry_run:
        return result
    for workflow_id in result.orphan_workflows:
        media.delete_workflow(workflow_id)
    if isinstance(media, GridFSMediaStore):
        result.chunks_removed = sum(media.remove_unfinished(file_id) for file_id in unfinished)
    return result


@dataclass
class MigrationResult:
    """Counts of one migration run."""

    copied: int = 0
    already_there: int = 0
    failed: list[str] = field(default_factory=list)
    removed: int = 0
    bytes_copied: int = 0


def media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(key, path) of every file in a files store under root, in a stable order."""
    folder = root / "workflows"
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*/*")):
        key = path.relative_to(root).as_posix()
        if path.is_file() and is_media_key(key):
            yield key, path


def file_digest(chunks: Iterator[bytes]) -> tuple[int, str]:
    """(size, SHA-256 hex) of a stream of bytes."""
    digest, size = hashlib.sha256(), 0
    for piece in chunks:
        digest.update(piece)
        size += len(piece)
    return size, digest.hexdigest()


def _local_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(FILE_PIECE), b"")


def _held_whole(target: GridFSMediaStore, key: str, size: int, sha256: str) -> bool:
    document = target.describe(key)
    metadata = (document or {}).get("metadata") or {}
    return document is not None and document["length"] == size and metadata.get("sha256") == sha256


def migrate_files_to_gridfs(
    source: Path, target: GridFSMediaStore, *, remove_files: bool, report: Report
) -> MigrationResult:
    """Copy every file under source into GridFS, verified by size and hash; remove local files only if asked."""
    result = MigrationResult()
    for key, path in media_files(source):
        size, sha256 = file_digest(_local_chunks(path))
        if _held_whole(target, key, size, sha256):
            result.already_there += 1
        else:
            target.put_stream(key, _local_chunks(path))
            if file_digest(target.open(key).chunks()) != (size, sha256) or not _held_whole(target, key, size, sha256):
                result.failed.append(key)
                report(f"FAILED: {key} differs after copying; the local file is kept")
                continue
            result.copied += 1
            result.bytes_copied += size
            report(f"copied: {key} ({size} bytes, sha256 {sha256[:12]}…)")
        if remove_files:
            path.unlink()
            result.removed += 1
    return result
