"""The job a generation is running under: `ActiveJob` (its parts, progress, ETA, prediction intents and cancel) and
`running_job`, which makes it current for provider calls (through `services.core.job_scope`) and keeps its lease
alive while they run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import ConnectionFailure

from services.core import job_scope
from services.core.errors import ConflictError
from services.jobs.eta import RateEstimate
from services.jobs.store import Job, JobStatus, JobStore
from services.jobs.timings import ModelTimings

log = logging.getLogger(__name__)


REPORT_EVERY = 0.25  # seconds between progress writes while the percent stays the same
REPORT_AT_LEAST = 1.0  # ... and at least this often while messages change


@dataclass
class ActiveJob:
    """A claimed job and its store; thread-safe, since frames run in parallel under one job.

    Progress is kept per part (a frame, the video) as a fraction done; the job's percent is their mean over the
    planned parts, so parallel frames add up instead of overwriting each other, and it never goes backwards.
    """

    store: JobStore
    job: Job
    clock: Callable[[], float] = time.monotonic  # seconds, for the ETA's rate and the write throttle
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _canceled: threading.Event = field(default_factory=threading.Event, repr=False)
    _parts: list[str] = field(default_factory=list, repr=False)
    _fractions: dict[str, float] = field(default_factory=dict, repr=False)
    _written: tuple[float, int, str] = field(default=(0.0, -1, ""), repr=False)
    _eta: RateEstimate = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._eta = RateEstimate(self.clock())

    def plan_parts(self, parts: list[str]) -> None:
        """The parts this job makes (a frame each, or the video); those finished by an earlier attempt count as done."""
        with self._lock:
            done = set(self.job.params.get("completedParts", []))
            self._parts = list(parts)
            for part in parts:
                if part in done:
                    self._fractions[part] = 1.0
            self._eta.restart(self.clock(), self._overall())

    def report_fraction(self, part: str | None, fraction: float, message: str, *, eta_seconds: float | None = None) -> None:
        """A part is `fraction` done: the job's percent, message and ETA follow (throttled; never backwards)."""
        try:
            with self._lock:
                key = part or "job"
                self._fractions[key] = max(self._fractions.get(key, 0.0), min(1.0, max(0.0, fraction)))
                overall = self._overall()
                now = self.clock()
                percent = min(99, int(overall * 100))  # 100 only once the job has succeeded
                last_at, last_percent, _ = self._written
                if now - last_at < (REPORT_EVERY if percent != last_percent else REPORT_AT_LEAST):
                    return
                rate_eta = self._eta.seconds_left(overall, now)  # every write: it keeps the recent points
                eta = eta_seconds if eta_seconds is not None else rate_eta
                self.store.heartbeat(self.job, percent=percent, message=message, eta_seconds=_whole(eta))
                self._written = (now, percent, message)
                self.job.progress.percent = max(self.job.progress.percent, percent)
                self.job.progress.message = message
        except ConflictError:  # the job is no longer ours: canceled (the pollers stop), or taken over
            self.canceled()
        except ConnectionFailure:  # the database is restarting: skip this report, the next one writes it
            log.warning("job %s: progress not written, the database is unreachable", self.job.id)

    def _overall(self) -> float:
        parts = self._parts or list(self._fractions) or ["job"]
        return sum(self._fractions.get(part, 0.0) for part in parts) / len(parts)

    def canceled(self) -> bool:
        """True once the user canceled this job (noticed by the heartbeat, or asked now)."""
        if not self._canceled.is_set() and self.store.get(self.job.id).status is JobStatus.CANCELED:
            self._canceled.set()
        return self._canceled.is_set()

    def prediction_id(self, part: str) -> str | None:
        """The prediction already created for this part, if any."""
        with self._lock:
            return self.job.prediction_ids.get(part)

    def intent_for(self, part: str) -> tuple[str, bool]:
        """The intent id for this part's prediction, and whether it is new (persisted before returning)."""
        with self._lock:
            existing = self.job.prediction_intents.get(part)
            if existing is not None:
                return existing, False
            intent = f"{self.job.id}:{part}"
            self.store.record_intent(self.job, part=part, intent=intent)
            self.job.prediction_intents[part] = intent
            return intent, True

    def intent_detail(self, part: str) -> dict[str, Any] | None:
        """What the recorded intent said would mark this part's prediction, if it got that far."""
        with self._lock:
            return self.job.intent_details.get(part)

    def record_intent_detail(self, part: str, detail: dict[str, Any]) -> None:
        """Persist the intent's markers (uploaded file URLs, input fingerprint) before the paid create."""
        with self._lock:
            self.store.record_intent_detail(self.job, part=part, detail=detail)
            self.job.intent_details[part] = detail

    def record_prediction(self, part: str, prediction_id: str) -> None:
        """Persist a new prediction id before waiting on it."""
        with self._lock:
            self.store.record_prediction(self.job, part=part, prediction_id=prediction_id)
            self.job.prediction_ids[part] = prediction_id

    def is_done(self, part: str) -> bool:
        """True when this part finished under an earlier attempt."""
        with self._lock:
            return part in self.job.params.get("completedParts", [])

    def mark_done(self, part: str, *, percent: int | None = None, message: str | None = None) -> None:
        """Persist that this part is finished (and the progress it brings, in the same write)."""
        with self._lock:
            self._fractions[part] = 1.0
            if percent is None and self._parts:
                percent = min(99, int(self._overall() * 100))
            self.store.mark_part_done(self.job, part=part, percent=percent, message=message)
            self.job.params.setdefault("completedParts", []).append(part)
            if percent is not None and message is not None:
                self.job.progress.percent, self.job.progress.message = percent, message

    def is_canceled(self) -> bool:
        """True once a cancel was noticed (by the heartbeat, or a check); no database read."""
        return self._canceled.is_set()

    def expected_seconds(self, model: str, seconds: float, default: float) -> float:
        """How long a call of `model` making `seconds` of output should take: its recent median, else `default`."""
        return self._timings().expected(model=model, seconds=seconds, default=default)

    def record_timing(self, model: str, seconds: float, took: float) -> None:
        """Remember how long a finished call took (the history feeds the next ETA)."""
        self._timings().record(model=model, seconds=seconds, took=took)

    def _timings(self) -> ModelTimings:
        return ModelTimings(self.store.collection.database, clock=self.store.clock)

    def heartbeat(self) -> None:
        """Renew the lease without changing progress."""
        with self._lock:
            self.store.heartbeat(self.job)


@contextmanager
def running_job(active: ActiveJob, *, heartbeat_every: float) -> Iterator[ActiveJob]:
    """Make the job current and keep its lease alive from a background thread while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(heartbeat_every):
            try:
                active.heartbeat()
            except ConnectionFailure:  # the database is restarting, not the lease lost: beat again next time
                continue
            except Exception:  # noqa: BLE001 - lost the lease: canceled by the user, or taken over
                active.canceled()
                return

    beater = threading.Thread(target=beat, name=f"heartbeat-{active.job.id[:8]}", daemon=True)
    beater.start()
    try:
        with job_scope.current(active):
            yield active
    finally:
        stop.set()
        beater.join(timeout=5)


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else max(0, round(seconds))
