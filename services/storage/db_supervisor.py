"""Watches the embedded database the app started, and restarts it on the same data when it dies.

An OOM kill or a crash of the SecantusDB child otherwise leaves a defunct process and a studio that is down
until a person restarts the app. Its data is safe on disk (`--sync-on-commit`), so restarting the server on
the same directory and port is all it takes; pymongo reconnects by itself, and running jobs resume through
their leases and the reconciler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import StrEnum

from services.core.errors import DatabaseUnavailableError
from services.storage.embedded_db import EmbeddedDatabase

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 30.0
WATCH_INTERVAL_SECONDS = 0.2


class DatabaseState(StrEnum):
    OK = "ok"
    RESTARTING = "restarting"


def backoff_delays(maximum: float = MAX_BACKOFF_SECONDS) -> Callable[[int], float]:
    """No wait before the first restart of an outage, then 1, 2, 4, … seconds between failed ones, at most `maximum`."""
    return lambda attempt: 0.0 if attempt == 1 else min(maximum, 2.0 ** (attempt - 2))


class DatabaseSupervisor:
    """A thread that reaps a dead embedded server and starts it again, backing off between failed starts."""

    def __init__(
        self,
        database: EmbeddedDatabase,
        *,
        on_restart: Callable[[], None] = lambda: None,
        delay: Callable[[int], float] = backoff_delays(),
        watch_interval: float = WATCH_INTERVAL_SECONDS,
    ) -> None:
        self.database, self.on_restart, self.delay, self.watch_interval = database, on_restart, delay, watch_interval
        self.restarts = 0
        self._down = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> DatabaseState:
        """RESTARTING from the moment the child is seen dead until it answers again."""
        return DatabaseState.RESTARTING if self._down.is_set() else DatabaseState.OK

    def start(self) -> None:
        """Watch in a daemon thread (only a server this process started can be supervised)."""
        if not self.database.owned or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, name="embedded-db-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the app stops the server on purpose)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stopping.wait(self.watch_interval):
            exit_code = self.database.exit_code()
            if exit_code is None:
                continue
            self._down.set()
            log.error("embedded database exited with %s; restarting it on the same data", exit_code)
            self._restart()

    def _restart(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            attempt += 1
            if self._stopping.wait(self.delay(attempt)):
                return
            try:
                self.database.restart()
            except DatabaseUnavailableError as exc:
                log.error("embedded database restart %d failed: %s", attempt, exc.message)
                continue
            self.restarts += 1
            self.on_restart()
            self._down.clear()
            log.warning("embedded database restarted (pid %s) after %d attempt(s)", self.database.pid, attempt)
            return
