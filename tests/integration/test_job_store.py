"""Durable job records: idempotent creation, exactly-once claims, lease takeover after a worker dies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.database import Database

from services.core.errors import ConflictError, ValidationError
from services.jobs.store import JobKind, JobStatus, JobStore, ensure_job_indexes

LEASE = timedelta(seconds=30)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db: Database, clock: Clock) -> JobStore:
    ensure_job_indexes(db)
    return JobStore(db, clock=clock, lease=LEASE)


def new_job(store: JobStore, job_id: str | None = None, frames: int = 3, user: str = "alice"):
    return store.create(
        workflow_id="wf-1", user_id=user, kind=JobKind.GENERATE_FRAMES, params={"frameCount": frames}, job_id=job_id
    )


def test_recording_the_same_job_id_again_returns_the_first_job_and_a_different_request_is_refused(store: JobStore):
    first, created = new_job(store, job_id="job-1")
    again, created_again = new_job(store, job_id="job-1")
    assert created and not created_again and again.id == first.id and store.collection.count_documents({}) == 1
    with pytest.raises(ValidationError, match="already recorded for a different request"):
        new_job(store, job_id="job-1", frames=4)
    with pytest.raises(ValidationError, match="already recorded for a different request"):
        new_job(store, job_id="job-1", user="bob")
    many = {new_job(store)[0].id for _ in range(3)}
    assert len(many) == 3, "jobs recorded without an id get distinct ones (no per-user key collides)"


def test_fifty_jobs_claimed_by_four_workers_at_once_are_each_claimed_exactly_once(store: JobStore):
    created = {new_job(store)[0].id for _ in range(50)}
    claimed: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (job := store.claim(worker_id=name)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=worker, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(created)


def test_a_dead_workers_job_is_taken_over_after_its_lease_with_the_prediction_id_kept(store: JobStore, clock: Clock):
    job, _ = new_job(store)
    first = store.claim(worker_id="worker-a")
    store.record_prediction(first, part="frame-1", prediction_id="pred-123")
    store.heartbeat(first, percent=40, message="Frame 1 of 3 rendering")
    clock.advance(LEASE.total_seconds() - 1)
    assert store.claim(worker_id="worker-b") is None, "a live lease is never stolen"

    clock.advance(2)  # worker-a missed its heartbeat: it is presumed dead
    second = store.claim(worker_id="worker-b")
    assert second.id == job.id and second.attempts == 2
    assert second.prediction_ids == {"frame-1": "pred-123"}
    assert (second.progress.percent, second.progress.message) == (40, "Frame 1 of 3 rendering")
    with pytest.raises(ConflictError, match="no longer held by worker worker-a"):
        store.heartbeat(first)

    store.finish(second, status=JobStatus.SUCCEEDED)
    done = store.get(job.id)
    assert (done.status, done.progress.percent, done.lease_owner) == (JobStatus.SUCCEEDED, 100, None)


def test_a_job_out_of_attempts_is_not_claimed_again_and_the_reconciler_can_fail_it(store: JobStore, clock: Clock):
    job, _ = store.create(workflow_id="wf-1", user_id="alice", kind=JobKind.GENERATE_VIDEO, params={}, max_attempts=1)
    assert store.claim(worker_id="worker-a").id == job.id
    clock.advance(LEASE.total_seconds() + 1)
    assert store.claim(worker_id="worker-b") is None
    assert [j.id for j in store.abandoned()] == [job.id]
    assert store.force_finish(job.id, status=JobStatus.FAILED, error="The worker stopped responding.")
    failed = store.get(job.id)
    assert (failed.status, failed.error) == (JobStatus.FAILED, "The worker stopped responding.")
    assert store.abandoned() == []
