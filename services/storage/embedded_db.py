"""Starts the embedded SecantusDB server as a child process when no MONGODB_URI is set.

SecantusDB is GPL-2.0: we only ever run its command-line server as a separate process and
talk to it over the MongoDB wire protocol with pymongo. Nothing here imports its code.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from services.core.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)
IN_MEMORY = ":memory:"
DEFAULT_CACHE_SIZE = "256M"
# The app tails no change streams (progress is polled), so the oplog only has to exist: keep a minute of it,
# at most 1,000 entries, instead of SecantusDB's hour and 100,000 entries of every write's images.
OPLOG_RETENTION_SECONDS = 60
OPLOG_MAX_ENTRIES = 1000
# glibc's malloc settings for the server process (other C libraries ignore these variables; a value already in the
# environment wins). By default glibc raises its mmap threshold to the largest block freed so far (up to 32 MB), so
# the buffers of one big reply or checkpoint are served from the heap ever after, and each connection thread gets an
# arena of its own: the server's heap only grew, about 200 MB an hour in a 10-minute soak that kept 2 MB of data.
# With a fixed 32 KiB threshold (larger blocks get a mapping of their own, unmapped on free) and one arena, the same
# soak's trend fell to 85 MB an hour and its second half grew 2.7% instead of 7.3%. It still grows: +14.4% over the
# second half of the 30-minute soak, against a target of 5% (README, issue 16).
MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": "32768", "MALLOC_ARENA_MAX": "1"}


def _server_executable() -> str:
    beside_python = Path(sys.executable).parent / "secantusd-py"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("secantusd-py")
    if not found:
        raise DatabaseUnavailableError(
            "The embedded database (secantusd-py from the secantusdb package) is not installed. "
            "Run `make install`, or set MONGODB_URI to an existing MongoDB server."
        )
    return found


def uri_for(host: str, port: int) -> str:
    """The pymongo URI of a single embedded server, without retryable writes.

    SecantusDB 0.7.0b3 keeps a reply for every retryable write for 30 minutes (up to 10,000), and on every write
    scans them all, sorting them once there are 10,000: a server that has taken 15,000 writes inserts 14-18x
    slower (about 1,000 against 60-75 inserts/s in `bench/db_writes.py`). Its record lives in memory only, so it
    never made a retry safe across the restart the supervisor does anyway; a retry after a lost reply on
    loopback is all it gave. Reads stay retryable. A MONGODB_URI server (MongoDB, Atlas) keeps the driver's
    default, retryable writes on.
    """
    return f"mongodb://{host}:{port}/?directConnection=true&retryWrites=false"


def is_listening(uri: str, timeout_ms: int = 500) -> bool:
    """True when a MongoDB-compatible server answers ping at uri."""
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


class EmbeddedDatabase:
    """One SecantusDB server on loopback, with data under storage_path (or in memory)."""

    def __init__(
        self,
        *,
        storage_path: Path | str,
        host: str = "127.0.0.1",
        port: int,
        log_path: Path | None = None,
        start_timeout: float = 30.0,
        cache_size: str | None = None,
    ) -> None:
        self.storage_path = storage_path
        # None: SecantusDB's own default (1G). An in-memory server keeps all its data in the cache, so tests and
        # benchmarks leave it at that; the app's on-disk server gets EMBEDDED_DB_CACHE_SIZE and evicts to disk.
        self.cache_size = cache_size
        self.host, self.port = host, port
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return uri_for(self.host, self.port)

    @property
    def owned(self) -> bool:
        """True when this object started the server (and so stops it)."""
        return self.process is not None

    def start(self) -> str:
        """Connect to a server already running here, or start one; returns its URI."""
        if is_listening(self.uri):
            log.info("embedded database already running at %s:%s; connecting to it", self.host, self.port)
            return self.uri
        if str(self.storage_path) != IN_MEMORY:
            Path(self.storage_path).mkdir(parents=True, exist_ok=True)
        command = [
            _server_executable(),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--storage-path",
            str(self.storage_path),
            "--sync-on-commit",
            *(("--cache-size", self.cache_size) if self.cache_size else ()),
            "--oplog-retention-seconds",
            str(OPLOG_RETENTION_SECONDS),
            "--oplog-max-entries",
            str(OPLOG_MAX_ENTRIES),
            "--log-level",
            "WARNING",
        ]
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        # Its own session: a Ctrl-C in the terminal stops the app first, which then stops the server cleanly.
        self.process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**MALLOC_SETTINGS, **os.environ},
        )
        self._wait_until_ready()
        log.info("embedded database started (pid %s) at %s:%s", self.process.pid, self.host, self.port)
        return self.uri

    @property
    def pid(self) -> int | None:
        """The server's process id, when this object started it."""
        return self.process.pid if self.process is not None else None

    def exit_code(self) -> int | None:
        """The server's exit status once a server this object started has died (reaping it), else None."""
        return self.process.poll() if self.process is not None else None

    def restart(self) -> str:
        """Start the server again on the same data and port after it died; returns its URI."""
        if self.process is not None and self.process.poll() is None:
            return self.uri
        self.process = None
        return self.start()

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise DatabaseUnavailableError(
                    f"The embedded database exited during start-up. Is another server using {self.storage_path}? "
                    f"See {self.log_path or 'its log'} for details."
                )
            if is_listening(self.uri, timeout_ms=300):
                return
            time.sleep(0.1)
        self.stop()
        raise DatabaseUnavailableError(f"The embedded database did not answer within {self.start_timeout:.0f} s.")

    def stop(self) -> None:
        """Stop the server if this object started it (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
