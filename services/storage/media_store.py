"""Where generated frames and videos live. Workflows keep keys; the store resolves them.

Two stores implement `MediaStore`: `FileMediaStore` (files under one directory, the embedded default) and
`gridfs_store.GridFSMediaStore` (GridFS in the shared MongoDB, for app servers and workers on several hosts).
"""

from __future__ import annotations

import errno
import mimetypes
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from services.core.errors import MediaStoreError, NotFoundError, ValidationError

# \Z, not $: `$` also matches before a trailing newline. A file name never starts with a dot, so "." and ".."
# (and hidden files) are not keys.
_KEY_PATTERN = re.compile(r"workflows/[A-Za-z0-9_-]+/[A-Za-z0-9_-][A-Za-z0-9_.-]*\Z")
READ_CHUNK = 256 * 1024  # bytes per piece when streaming media out


def frame_key(workflow_id: str, frame_number: int) -> str:
    """A fresh key for one version of a frame."""
    return f"workflows/{workflow_id}/frame-{frame_number}-{uuid.uuid4().hex[:12]}.png"


def video_key(workflow_id: str) -> str:
    """A fresh key for a rendered video."""
    return f"workflows/{workflow_id}/video-{uuid.uuid4().hex[:12]}.mp4"


def is_media_key(key: str) -> bool:
    """True when key has the store's layout (workflows/<id>/<file>)."""
    return _KEY_PATTERN.fullmatch(key) is not None


def workflow_of_key(key: str) -> str:
    """The workflow id a media key belongs to (keys are always under workflows/<id>/)."""
    check_key(key)
    return key.split("/")[1]


def content_type_of(key: str) -> str:
    """The media type served for key, from its extension."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def check_key(key: str) -> None:
    """Refuse anything that is not a media key (path tricks included)."""
    if not is_media_key(key):
        raise ValidationError(f"Not a media key: {key!r}.")


@dataclass(frozen=True)
class StoredMedia:
    """One stored file, ready to be streamed whole or by byte range."""

    key: str
    size: int
    content_type: str
    reader: MediaReader

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes from start to end (inclusive; None: to the last byte), a piece at a time."""
        last = self.size - 1 if end is None else min(end, self.size - 1)
        return self.reader.read_range(start, last - start + 1)


class MediaReader(Protocol):
    def read_range(self, start: int, length: int) -> Iterator[bytes]: ...


class MediaStore(Protocol):
    def put_bytes(self, key: str, data: bytes, *, owner: str | None = None) -> None: ...
    def put_file(self, key: str, source: Path, *, owner: str | None = None) -> None: ...
    def put_stream(self, key: str, chunks: Iterable[bytes], *, owner: str | None = None) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def open(self, key: str) -> StoredMedia: ...
    def exists(self, key: str) -> bool: ...
    def health(self) -> str: ...
    def scratch_path(self, suffix: str) -> Path: ...
    def delete_workflow(self, workflow_id: str) -> None: ...
    def workflow_ids(self) -> set[str]: ...


FULL = (errno.ENOSPC, errno.EDQUOT)
REFUSES_WRITES = (errno.EROFS, errno.EACCES, errno.EPERM)


def write_failure(key: str, error: OSError) -> MediaStoreError:
    """The error a failed write becomes: a full disk and a read-only path say so, and what to do."""
    if error.errno in FULL:
        return MediaStoreError(
            f"The media store is full, so {key} could not be saved. Free some space (or point MEDIA_DIR at a larger "
            "disk), then retry the step.",
            condition="full",
        )
    if error.errno in REFUSES_WRITES:
        return MediaStoreError(
            f"The media store refuses writes (read-only or not permitted), so {key} could not be saved. Make MEDIA_DIR "
            "writable, then retry the step.",
            condition="read-only",
        )
    return MediaStoreError(f"Media {key} could not be written: {error.strerror or error}.", condition="unwritable")


def missing(key: str) -> NotFoundError:
    """The error for a key with no stored file."""
    return NotFoundError(f"Media {key} is missing from the store.")


class _FileReader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def read_range(self, start: int, length: int) -> Iterator[bytes]:
        with open(self.path, "rb") as handle:
            handle.seek(start)
            while length > 0:
                piece = handle.read(min(READ_CHUNK, length))
                if not piece:
                    return
                length -= len(piece)
                yield piece


class FileMediaStore:
    """Media as files under one directory; writes are atomic (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key

    def put_bytes(self, key: str, data: bytes, *, owner: str | None = None) -> None:
        """Store data under key."""
        self.put_stream(key, [data], owner=owner)

    def put_stream(self, key: str, chunks: Iterable[bytes], *, owner: str | None = None) -> None:
        """Store the pieces under key, written to a temporary file first so no reader sees half of it."""
        scratch = self.scratch_path(Path(key).suffix)
        try:
            with open(scratch, "wb") as handle:
                for piece in chunks:
                    handle.write(piece)
        except OSError as exc:
            scratch.unlink(missing_ok=True)
            raise write_failure(key, exc) from exc
        self.put_file(key, scratch, owner=owner)

    def put_file(self, key: str, source: Path, *, owner: str | None = None) -> None:
        """Move a finished file into the store under key (the owner is implied by the workflow's folder)."""
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(source, "rb") as handle:
                os.fsync(handle.fileno())
            os.chmod(source, 0o644)  # mkstemp makes 0600; media is served by this same process anyway
            os.replace(source, target)
        except OSError as exc:
            source.unlink(missing_ok=True)  # nothing half-stored stays behind for a reader or the disk
            raise write_failure(key, exc) from exc

    def get_bytes(self, key: str) -> bytes:
        """The stored bytes, or NotFoundError."""
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise missing(key) from None

    def open(self, key: str) -> StoredMedia:
        """The file behind key, to stream whole or by range."""
        path = self.local_path(key)
        return StoredMedia(key=key, size=path.stat().st_size, content_type=content_type_of(key), reader=_FileReader(path))

    def exists(self, key: str) -> bool:
        """True when key has a stored file."""
        return self._path(key).is_file()

    def local_path(self, key: str) -> Path:
        """The file behind key (for players that stream from disk)."""
        path = self._path(key)
        if not path.is_file():
            raise missing(key)
        return path

    def scratch_path(self, suffix: str) -> Path:
        """A temporary path inside the store, on the same filesystem so the final move is atomic."""
        try:
            handle, name = tempfile.mkstemp(suffix=suffix, dir=self.root / "tmp")
        except OSError as exc:
            raise write_failure("a new file", exc) from exc
        os.close(handle)
        return Path(name)

    def health(self) -> str:
        """'ok' when a small file can be written and removed, else what is wrong ('full', 'read-only', ...)."""
        try:
            probe = self.scratch_path(".probe")
            probe.write_bytes(b"ok" * 2048)
            probe.unlink()
        except MediaStoreError as exc:
            return exc.condition
        except OSError as exc:
            return write_failure("a probe", exc).condition
        return "ok"

    def delete_workflow(self, workflow_id: str) -> None:
        """Remove every file of a workflow (hard delete)."""
        shutil.rmtree(self.root / "workflows" / workflow_id, ignore_errors=True)

    def workflow_ids(self) -> set[str]:
        """Every workflow id that has a folder of media."""
        folder = self.root / "workflows"
        return {entry.name for entry in folder.iterdir() if entry.is_dir()} if folder.is_dir() else set()
