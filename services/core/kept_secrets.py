"""Secrets the app makes for itself in development and keeps under DATA_DIR (mode 0600)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path


def kept_secret(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret in path, made once; of several processes starting together on one DATA_DIR, the first wins."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
        descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(make())
        try:
            os.link(scratch, path)  # atomic, and only once the file is whole: nobody reads half a key
        except FileExistsError:
            pass
        finally:
            os.unlink(scratch)
    return path.read_bytes()
