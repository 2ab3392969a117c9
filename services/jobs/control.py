"""Generation jobs seen from a request: record-then-run, progress, following, cancelling, and recovery."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import anyio

from services.core import metrics
from services.core.errors import BusyError, NotFoundError, StudioError, ValidationError
from services.core.settings import Settings
from services.jobs.context import ActiveJob
from services.jobs.dispatch import JobDispatcher
from services.jobs.runner import JobRunner
from services.jobs.store import Job, JobKind, JobStatus
from services.workflows import rules
from services.workflows.domain import VideoWorkflow, WorkflowStatus
from services.workflows.writer import Mutation, WorkflowWriter

log = logging.getLogger(__name__)


PROGRESS_EVENT_SECONDS = 2.0
CLOSING_JOB_WAIT_SECONDS = 2.0
CLOSING_JOB_POLL_SECONDS = 0.02


def job_progress(job: Job, *, now: datetime) -> dict:
    """The job's progress as the record holds it; a running job's ETA counts down from its last report."""
    running = job.status is JobStatus.RUNNING
    eta = job.progress.eta_seconds
    if running and eta is not None and job.progress.updated_at is not None:
        eta = max(0, round(eta - (now - job.progress.updated_at).total_seconds()))
    started = job.started_at
    return {
        "id": job.id,
        "kind": job.kind.value,
        "status": job.status.value,
        "percent": job.progress.percent,
        "message": job.progress.message,
        "etaSeconds": eta if running else None,
        "startedAt": started.isoformat() if started else None,
        "updatedAt": (job.progress.updated_at or job.updated_at).isoformat(),
        "elapsedSeconds": round((now - started).total_seconds()) if running and started else None,
    }


def snapshot_id(snapshot: dict) -> str:
    """A short, stable id of one progress snapshot (the server-sent event id)."""
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, default=str).encode()).hexdigest()[:16]


JobStep = Callable[[ActiveJob], None]


class JobControl:
    """Starts a step's job (recorded before any provider call), reports its progress, and cancels it."""

    def __init__(
        self,
        *,
        writer: WorkflowWriter,
        jobs: JobRunner,
        settings: Settings,
        clock: Callable[[], datetime],
        execute: JobStep,
        dispatcher: JobDispatcher | None,
    ) -> None:
        self.writer, self.jobs, self.settings, self.clock = writer, jobs, settings, clock
        self.execute = execute
        self.dispatcher = dispatcher  # None: jobs run inside the calling request

    def latest_job(self, *, user_id: str, workflow_id: str) -> Job:
        """The workflow's most recent generation job (status, progress, outcome)."""
        self.writer.get(user_id=user_id, workflow_id=workflow_id)
        jobs = self.jobs.store.for_workflow(workflow_id)
        if not jobs:
            raise NotFoundError("This workflow has not started a generation yet.")
        return jobs[-1]

    def progress(self, *, user_id: str, workflow_id: str) -> dict:
        """Where the workflow stands: step, status, and the running job's progress with an ETA in seconds."""
        workflow = self.writer.get(user_id=user_id, workflow_id=workflow_id)
        snapshot: dict = {
            "workflowId": workflow.id,
            "version": workflow.version,
            "status": workflow.status.value,
            "currentStep": workflow.current_step.value,
            "activeJobId": workflow.active_job_id,
            "job": None,
        }
        jobs = self.jobs.store.for_workflow(workflow_id)
        if jobs:
            snapshot["job"] = job_progress(jobs[-1], now=self.clock())
        return snapshot

    async def follow(
        self,
        *,
        user_id: str,
        workflow_id: str,
        is_disconnected: Callable[[], Awaitable[bool]],
        last_event_id: str | None = None,
        poll_seconds: float = 0.5,
        max_seconds: float = 900,
    ) -> AsyncIterator[tuple[str, dict]]:
        """(event id, snapshot) pairs as the progress changes, until it settles, the client leaves, or max_seconds.

        Each database read is one short call on a worker thread and the waits are `anyio.sleep`, so an open
        stream holds no thread. The event id names the snapshot: a client that reconnects with Last-Event-ID
        is not sent again what it already has.
        """
        deadline = time.monotonic() + max_seconds
        last, sent = last_event_id, 0.0
        read = functools.partial(self.progress, user_id=user_id, workflow_id=workflow_id)
        while not await is_disconnected():
            snapshot = await anyio.to_thread.run_sync(read)
            event_id = snapshot_id(snapshot)
            job_open = snapshot["job"] is not None and snapshot["job"]["status"] in ("QUEUED", "RUNNING")
            # A running job is reported at least every PROGRESS_EVENT_SECONDS, changed or not (the ETA counts down).
            if event_id != last or (job_open and time.monotonic() - sent >= PROGRESS_EVENT_SECONDS):
                yield event_id, snapshot
                last, sent = event_id, time.monotonic()
            if (snapshot["status"] != WorkflowStatus.PROCESSING.value and not job_open) or time.monotonic() > deadline:
                return  # the job closes just after the workflow settles: wait for both
            await anyio.sleep(poll_seconds)

    def cancel_generation(self, *, user_id: str, workflow_id: str) -> VideoWorkflow:
        """Stop the running generation: its predictions are canceled, finished work is kept, the step can be retried."""
        workflow = self.writer.get(user_id=user_id, workflow_id=workflow_id)
        job_id = workflow.active_job_id
        if workflow.status is not WorkflowStatus.PROCESSING or job_id is None:
            raise ValidationError("Nothing is generating for this workflow right now, so there is nothing to cancel.")
        if not self.jobs.store.request_cancel(job_id):
            self._cancel_once_recorded(job_id)
        message = "Canceled by you. Everything finished before the cancel is kept; retry the step when ready."
        return self.writer.update(
            user_id, workflow_id, functools.partial(_fail_if_current, job_id=job_id, message=message, now=self.clock())
        )

    def _cancel_once_recorded(self, job_id: str) -> None:
        """Cancel a job whose start has marked the workflow but not yet recorded the job.

        A start writes the workflow, then the job's record. A cancel in between found no record, freed the
        workflow, and the job then ran anyway, beside the next start's job. Waiting for the record (a write long;
        at most CLOSING_JOB_WAIT_SECONDS, after which a start that died in between is assumed) lets the cancel close
        it before the workflow is freed. A record that exists but has ended is left as it is.
        """
        deadline = time.monotonic() + CLOSING_JOB_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                self.jobs.store.get(job_id)
            except NotFoundError:
                time.sleep(CLOSING_JOB_POLL_SECONDS)
                continue
            self.jobs.store.request_cancel(job_id)
            return

    def start_job(
        self, user_id: str, workflow_id: str, start: Mutation, *, job_id: str, kind: JobKind, params: dict
    ) -> VideoWorkflow:
        """Mark the workflow as processing and record the job (before any provider call); run it or queue it."""
        self._wait_for_closing_job(user_id=user_id, workflow_id=workflow_id)
        self.writer.update(user_id, workflow_id, start)
        self.submit_job(workflow_id=workflow_id, user_id=user_id, kind=kind, params=params, job_id=job_id)
        return self.writer.get(user_id=user_id, workflow_id=workflow_id)

    def _wait_for_closing_job(self, *, user_id: str, workflow_id: str) -> None:
        """Let a job that has written its workflow's last change also close its own record before the next starts.

        A job writes its result to the workflow, then marks itself finished: in between, the workflow is free while
        the job still reads RUNNING. Starting the next job in that gap would show two open jobs on one workflow.
        The gap is a write long, so this waits up to CLOSING_JOB_WAIT_SECONDS, then refuses with 409 naming the job.
        A job the workflow still runs is left to the start's own check (an immediate 409), and a job whose worker
        died (lease lapsed) does not hold the workflow: the reconciler closes it, as superseded, when it resumes it.
        """
        deadline = time.monotonic() + CLOSING_JOB_WAIT_SECONDS
        while (job := self.jobs.store.open_for_workflow(workflow_id)) is not None:
            workflow = self.writer.get(user_id=user_id, workflow_id=workflow_id)
            lapsed = job.lease_expires_at is not None and job.lease_expires_at < self.clock()
            if workflow.active_job_id == job.id or lapsed:
                return
            if time.monotonic() >= deadline:
                raise BusyError(
                    f"Generation job {job.id} is still closing on this workflow. Try again in a few seconds.",
                    job_id=job.id,
                )
            time.sleep(CLOSING_JOB_POLL_SECONDS)

    def submit_job(self, *, workflow_id: str, user_id: str, kind: JobKind, params: dict, job_id: str) -> None:
        """Record the job, then hand it to the dispatcher, or run it here when jobs run inline."""
        inline = self.dispatcher is None
        job, created = self.jobs.store.create(
            workflow_id=workflow_id,
            user_id=user_id,
            kind=kind,
            params=params,
            job_id=job_id,
            max_attempts=self.settings.JOB_MAX_ATTEMPTS,
            claimed_by=self.jobs.worker_id if inline else None,
        )
        if created and self.dispatcher is not None:
            self.dispatcher.submit(job)
        elif created:
            self.jobs.run(job, self.execute)


class JobRecovery:
    """What workers do besides running new jobs: take over lapsed ones and close those out of attempts."""

    def __init__(self, *, writer: WorkflowWriter, jobs: JobRunner, clock: Callable[[], datetime], execute: JobStep) -> None:
        self.writer, self.jobs, self.clock, self.execute = writer, jobs, clock, execute

    def run_queued_job(self, job_id: str) -> None:
        """A worker received this job id: run the job unless another worker holds it or it is done."""
        try:
            self.jobs.run_if_claimable(job_id, self.execute)
        except StudioError as exc:  # recorded on the job and the workflow already
            log.info("job %s ended: %s", job_id, exc.message)

    def reconcile(self) -> int:
        """Resume jobs whose worker died; fail, on their workflows, those out of attempts. Returns jobs resumed."""
        resumed = self.jobs.resume_lapsed(self.execute)
        self.fail_abandoned()
        return resumed

    def fail_abandoned(self) -> int:
        """Close jobs that used all their attempts, recording the failure on their workflows."""
        failed = 0
        for job in self.jobs.store.abandoned():
            message = f"The {job.kind.value.lower().replace('_', ' ')} step stopped after {job.attempts} attempts."
            if not self.jobs.store.force_finish(job.id, status=JobStatus.FAILED, error=message):
                continue
            failed += 1
            with contextlib.suppress(NotFoundError):  # a deleted workflow needs no failure note
                now = self.clock()
                workflow = self.writer.update(
                    job.user_id,
                    job.workflow_id,
                    functools.partial(_fail_if_current, job_id=job.id, message=message, now=now),
                )
                if workflow.errors and (workflow.errors[-1].message, workflow.errors[-1].occurred_at) == (message, now):
                    metrics.step_failed(step=workflow.current_step.value, provider=None)
                    if job.kind is JobKind.GENERATE_VIDEO:
                        metrics.video_finished(model=str(job.params.get("model")), succeeded=False)
        return failed


def _fail_if_current(workflow: VideoWorkflow, job_id: str, message: str, *, now: datetime) -> None:
    if workflow.active_job_id == job_id:
        rules.record_failure(workflow, step=workflow.current_step, message=message, provider=None, now=now)
