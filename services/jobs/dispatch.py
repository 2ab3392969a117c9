"""How recorded jobs reach a worker: in the request (inline) or through a bounded in-process pool.

The database is the source of truth in every mode. Pool threads claim any claimable job
(queued, or lapsed because its worker died), so a lost wake-up or a crashed process never loses
a job; `submit` only shortens the wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from services.jobs.context import ActiveJob
from services.jobs.runner import JobRunner
from services.jobs.store import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobHandlers:
    """What a dispatcher's workers call: the runner, the job steps, and the close-out of jobs out of attempts."""

    runner: JobRunner
    execute: Callable[[ActiveJob], None]
    fail_abandoned: Callable[[], int]


class JobDispatcher(Protocol):
    def submit(self, job: Job) -> None:
        """A QUEUED job was recorded; get it run soon."""
        ...


class EmbeddedWorkerPool:
    """Worker threads inside the app process, plus a reconciler pass for jobs out of attempts."""

    def __init__(
        self,
        runner: JobRunner,
        *,
        execute: Callable[[ActiveJob], None],
        fail_abandoned: Callable[[], int],
        threads: int,
        poll_seconds: float,
    ) -> None:
        self.runner = runner
        self.execute = execute
        self.fail_abandoned = fail_abandoned
        self.threads = threads
        self.poll_seconds = poll_seconds
        self._wake = threading.Condition()
        self._pending_wakes = 0
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []

    def submit(self, job: Job) -> None:
        """Wake one idle worker (they also poll, so a missed wake-up only delays the job)."""
        with self._wake:
            self._pending_wakes += 1
            self._wake.notify()

    def start(self) -> None:
        """Start the worker threads (daemons: a job cut off by exit is resumed from its record)."""
        self._stopping.clear()
        for number in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"job-worker-{number}", daemon=True)
            thread.start()
            self._workers.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the workers to stop after their current job."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._workers:
            thread.join(timeout=timeout)
        self._workers.clear()

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                ran = self.runner.resume_lapsed(self.execute, limit=1)
                if not ran:
                    self.fail_abandoned()
            except Exception:  # noqa: BLE001 - a worker thread must outlive a database hiccup
                log.exception("job worker pass failed")
                ran = 0
            if not ran:
                self._idle()

    def _idle(self) -> None:
        with self._wake:
            if self._pending_wakes == 0:
                self._wake.wait(timeout=self.poll_seconds)
            self._pending_wakes = max(0, self._pending_wakes - 1)


class PeriodicReconciler:
    """In inline mode no pool watches the jobs: this thread resumes lapsed ones every interval."""

    def __init__(self, reconcile: Callable[[], int], *, interval: float) -> None:
        self.reconcile = reconcile
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run reconcile now and then every interval, in a daemon thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="job-reconciler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current pass."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.reconcile()
            except Exception:  # noqa: BLE001 - keep reconciling through a database hiccup
                log.exception("job reconciliation failed")
            self._stopping.wait(self.interval)
