"""A SecantusDB server of one test's own, on disk: for tests that store 100+ MB of media.

The session's shared server is in memory, and its cache (EMBEDDED_DB_CACHE_SIZE, 256 MB) is all the room it has;
a server on disk, as in production, evicts to its files. A module overrides `mongo_uri` with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.storage.embedded_db import EmbeddedDatabase
from tests.support.network import free_port


@contextmanager
def disk_database(directory: Path) -> Iterator[str]:
    """The URI of a fresh on-disk server under directory, stopped on exit."""
    server = EmbeddedDatabase(storage_path=directory / "own-db", port=free_port(), log_path=directory / "own-db.log")
    try:
        yield server.start()
    finally:
        server.stop()
