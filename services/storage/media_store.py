"""Where generated frames and videos live. Workflows keep keys; the store resolves them."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Protocol

from services.core.errors import NotFoundError, ValidationError

_KEY_PATTERN = re.compile(r"^workflows/[A-Za-z0-9_-]+/[A-Za-z0-9_.-]+$")


def frame_key(workflow_id: str, frame_number: int) -> str:
    """A fresh key for one version of a frame."""
    return f"workflows/{workflow_id}/frame-{frame_number}-{uuid.uuid4().hex[:12]}.png"


def video_key(workflow_id: str) -> str:
    """A fresh key for a rendered video."""
    return f"workflows/{workflow_id}/video-{uuid.uuid4().hex[:12]}.mp4"


def workflow_of_key(key: str) -> str:
    """The workflow id a media key belongs to (keys are always under workflows/<id>/)."""
    _check_key(key)
    return key.split("/")[1]


def _check_key(key: str) -> None:
    if not _KEY_PATTERN.match(key):
        raise ValidationError(f"Not a media key: {key!r}.")


class MediaStore(Protocol):
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def put_file(self, key: str, source: Path) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def local_path(self, key: str) -> Path: ...
    def scratch_path(self, suffix: str) -> Path: ...
    def delete_workflow(self, workflow_id: str) -> None: ...


class FileMediaStore:
    """Media as files under one directory; writes are atomic (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        _check_key(key)
        return self.root / key

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store data under key."""
        scratch = self.scratch_path(Path(key).suffix)
        scratch.write_bytes(data)
        self.put_file(key, scratch)

    def put_file(self, key: str, source: Path) -> None:
        """Move a finished file into the store under key."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(source, 0o644)  # mkstemp makes 0600; media is served by this same process anyway
        os.replace(source, target)

    def get_bytes(self, key: str) -> bytes:
        """The stored bytes, or NotFoundError."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"Media {key} is missing from the store.") from None

    def local_path(self, key: str) -> Path:
        """The file behind key (for players that stream from disk)."""
        path = self._path(key)
        if not path.exists():
            raise NotFoundError(f"Media {key} is missing from the store.")
        return path

    def scratch_path(self, suffix: str) -> Path:
        """A temporary path inside the store, on the same filesystem so the final move is atomic."""
        handle, name = tempfile.mkstemp(suffix=suffix, dir=self.root / "tmp")
        os.close(handle)
        return Path(name)

    def delete_workflow(self, workflow_id: str) -> None:
        """Remove every file of a workflow (hard delete)."""
        shutil.rmtree(self.root / "workflows" / workflow_id, ignore_errors=True)
