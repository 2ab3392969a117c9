"""Runs durable jobs: claim, keep the lease alive, execute, record the outcome; resume lapsed ones."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable

from services.core.errors import ConflictError, JobCanceledError, JobSupersededError, StudioError
from services.jobs.context import ActiveJob, running_job
from services.jobs.store import Job, JobStatus, JobStore

log = logging.getLogger(__name__)
Execute = Callable[[ActiveJob], None]


def new_worker_id() -> str:
    """A worker id that says where it runs (host, pid) and is unique."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class JobRunner:
    """Executes jobs from the job store on behalf of one worker."""

    def __init__(self, store: JobStore, *, heartbeat_every: float, worker_id: str | None = None) -> None:
        self.store = store
        self.heartbeat_every = heartbeat_every
        self.worker_id = worker_id or new_worker_id()

    def run(self, job: Job, execute: Execute) -> None:
        """Run a job this worker holds (created with claimed_by=worker_id) in the calling thread."""
        if job.lease_owner != self.worker_id:
            raise ConflictError("This generation is already being run by another worker.")
        self._run_claimed(job, execute)

    def run_if_claimable(self, job_id: str, execute: Execute) -> bool:
        """Claim and run this job if it is queued or lapsed; False when another worker has it or it is done."""
        job = self.store.claim(worker_id=self.worker_id, job_id=job_id)
        if job is None:
            return False
        self._run_claimed(job, execute)
        return True

    def resume_lapsed(self, execute: Execute, *, limit: int = 100) -> int:
        """Run queued jobs and jobs whose worker died; returns how many were run."""
        count = 0
        while count < limit and (job := self.store.claim(worker_id=self.worker_id)) is not None:
            count += 1
            log.info("resuming job %s (%s, attempt %s)", job.id, job.kind.value, job.attempts)
            try:
                self._run_claimed(job, execute)
            except StudioError as exc:
                log.warning("resumed job %s ended: %s", job.id, exc.message)
            except Exception:
                log.exception("resumed job %s crashed", job.id)
        return count

    def _run_claimed(self, job: Job, execute: Execute) -> None:
        active = ActiveJob(self.store, job)
        try:
            with running_job(active, heartbeat_every=self.heartbeat_every):
                execute(active)
        except JobSupersededError as exc:
            self._finish(active.job, JobStatus.CANCELED, exc.message)
            return
        except JobCanceledError:
            log.info("job %s stopped: canceled by the user", job.id)
            return
        except StudioError as exc:
            self._finish(active.job, JobStatus.FAILED, exc.message)
            raise
        except Exception as exc:
            self._finish(active.job, JobStatus.FAILED, f"Unexpected error ({type(exc).__name__}).")
            raise
        self._finish(active.job, JobStatus.SUCCEEDED, None)

    def _finish(self, job: Job, status: JobStatus, error: str | None) -> None:
        try:
            self.store.finish(job, status=status, error=error)
        except ConflictError:
            log.warning("job %s was taken over before it finished here; leaving it to its new owner", job.id)
