"""Durable generation job records in MongoDB: the source of truth for long-running work.

A job is written before any provider call. Workers claim jobs atomically with a lease that
they renew by heartbeat; a job whose lease has lapsed (its worker died) can be claimed again,
and the provider prediction ids recorded on it let the next worker resume instead of paying
for a second generation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.core.errors import ConflictError, NotFoundError, ValidationError
from services.jobs.records import FINISHED, STARTING, Job, JobKind, JobProgress, JobStatus

JOBS = "jobs"
PREDICTION_OWNERS = "prediction_owners"


def ensure_job_indexes(db: Database) -> None:
    """Claims scan by status and lease; a workflow's jobs are read in order.

    Request idempotency lives in the API (services/accounts/idempotency); the per-user job key index of earlier
    versions is dropped here, so jobs recorded without a key never collide on it.
    """
    if "user_idempotencyKey" in db[JOBS].index_information():
        db[JOBS].drop_index("user_idempotencyKey")
    db[JOBS].create_indexes(
        [
            IndexModel([("status", ASCENDING), ("leaseExpiresAt", ASCENDING)], name="status_leaseExpiresAt"),
            IndexModel([("workflowId", ASCENDING), ("createdAt", ASCENDING)], name="workflowId_createdAt"),
        ]
    )


def _finished_progress(status: JobStatus, error: str | None, now: datetime) -> dict[str, Any]:
    """How a finished job says it finished."""
    message = {
        JobStatus.SUCCEEDED: "Done",
        JobStatus.FAILED: f"Failed: {error}" if error else "Failed",
        JobStatus.CANCELED: error or "Canceled",
    }[status]
    return {
        "progress.message": message,
        "progress.etaSeconds": 0 if status is JobStatus.SUCCEEDED else None,
        "progress.updatedAt": now,
    }


def _job_from(document: dict) -> Job:
    document = dict(document)
    document["id"] = document.pop("_id")
    return Job.model_validate(document)


class JobStore:
    """Create, claim, heartbeat and finish jobs; every transition is one atomic update."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime], lease: timedelta) -> None:
        self.collection = db[JOBS]
        self.clock = clock
        self.lease = lease

    def create(
        self,
        *,
        workflow_id: str,
        user_id: str,
        kind: JobKind,
        params: dict[str, Any],
        max_attempts: int = 3,
        job_id: str | None = None,
        claimed_by: str | None = None,
    ) -> tuple[Job, bool]:
        """Record a job before any provider call; returns (job, created). A repeated job id returns the first job.

        With claimed_by, the job is born RUNNING under that worker's lease, so no other worker can
        take it between its creation and the first provider call.
        """
        now = self.clock()
        job = Job(
            id=job_id or uuid.uuid4().hex,
            workflow_id=workflow_id,
            user_id=user_id,
            kind=kind,
            params=params,
            max_attempts=max_attempts,
            created_at=now,
            updated_at=now,
        )
        if claimed_by is not None:
            job.status, job.attempts, job.lease_owner = JobStatus.RUNNING, 1, claimed_by
            job.lease_expires_at, job.heartbeat_at, job.started_at = now + self.lease, now, now
            job.progress = JobProgress(message=STARTING, updated_at=now)
        document = job.to_document()
        document["_id"] = document.pop("id")
        try:
            self.collection.insert_one(document)
            return job, True
        except DuplicateKeyError:
            existing = self.collection.find_one({"_id": job.id})
            if existing is None:  # deleted between the two calls
                raise ConflictError(f"Job {job.id} changed meanwhile; try again.") from None
            first = _job_from(existing)
            if (first.user_id, first.workflow_id, first.kind, first.params) != (user_id, workflow_id, kind, params):
                raise ValidationError(f"Job {job.id} was already recorded for a different request.") from None
            return first, False

    def get(self, job_id: str) -> Job:
        """The job, or NotFoundError."""
        document = self.collection.find_one({"_id": job_id})
        if document is None:
            raise NotFoundError(f"Job {job_id} was not found.")
        return _job_from(document)

    def claim(self, *, worker_id: str, job_id: str | None = None) -> Job | None:
        """Atomically take a queued job, or one whose worker's lease lapsed; None when there is none."""
        now = self.clock()
        claimable = {
            "$or": [
                {"status": JobStatus.QUEUED.value},
                {"status": JobStatus.RUNNING.value, "leaseExpiresAt": {"$lt": now}},
            ]
        }
        query: dict[str, Any] = {"$and": [claimable, {"$expr": {"$lt": ["$attempts", "$maxAttempts"]}}]}
        if job_id is not None:
            query["_id"] = job_id
        document = self.collection.find_one_and_update(
            query,
            {
                "$set": {
                    "status": JobStatus.RUNNING.value,
                    "leaseOwner": worker_id,
                    "leaseExpiresAt": now + self.lease,
                    "heartbeatAt": now,
                    "updatedAt": now,
                },
                "$inc": {"attempts": 1},
            },
            sort=[("createdAt", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return None
        if document.get("startedAt") is None:  # the first claim starts it; a takeover keeps the start and the message
            started = {"startedAt": now, "progress.message": STARTING, "progress.updatedAt": now}
            self.collection.update_one({"_id": document["_id"], "startedAt": None}, {"$set": started})
            document["startedAt"] = now
            document["progress"] = {**document.get("progress", {}), "message": STARTING, "updatedAt": now}
        return _job_from(document)

    def heartbeat(
        self, job: Job, *, percent: int | None = None, message: str | None = None, eta_seconds: int | None = None
    ) -> None:
        """Renew the lease (and report progress); ConflictError if another worker took the job over.

        The percent only moves forward ($max), so parallel parts and retries never show it going backwards.
        """
        now = self.clock()
        update: dict[str, Any] = {"heartbeatAt": now, "leaseExpiresAt": now + self.lease, "updatedAt": now}
        change: dict[str, Any] = {"$set": update}
        if percent is not None:
            change["$max"] = {"progress.percent": max(0, min(100, percent))}
        if message is not None:
            update["progress.message"] = message
            update["progress.etaSeconds"] = eta_seconds
            update["progress.updatedAt"] = now
        self._owned_update(job, change)

    def record_intent(self, job: Job, *, part: str, intent: str) -> None:
        """Persist the intent to create a prediction for this part, before the (paid) create call."""
        self._owned_update(job, {"$set": {f"predictionIntents.{part}": intent, "updatedAt": self.clock()}})

    def record_intent_detail(self, job: Job, *, part: str, detail: dict[str, Any]) -> None:
        """Persist what will mark this part's prediction (its uploaded files, its input's fingerprint), before the create."""
        self._owned_update(job, {"$set": {f"intentDetails.{part}": detail, "updatedAt": self.clock()}})

    def record_prediction(self, job: Job, *, part: str, prediction_id: str) -> None:
        """Remember a provider prediction as soon as it exists, so a successor polls it instead of paying twice."""
        self._owned_update(job, {"$set": {f"predictionIds.{part}": prediction_id, "updatedAt": self.clock()}})
        # Which workflow a prediction belongs to, for the provider's webhook (it knows only the prediction id).
        self.collection.database[PREDICTION_OWNERS].update_one(
            {"_id": prediction_id}, {"$set": {"workflowId": job.workflow_id, "jobId": job.id, "part": part}}, upsert=True
        )

    def owner_of_prediction(self, prediction_id: str) -> tuple[str, str] | None:
        """(workflow id, job part) of a prediction one of our jobs created, if any."""
        owner = self.collection.database[PREDICTION_OWNERS].find_one({"_id": prediction_id})
        return (owner["workflowId"], owner["part"]) if owner else None

    def mark_part_done(self, job: Job, *, part: str, percent: int | None = None, message: str | None = None) -> None:
        """Remember a finished part (a frame, the video), so a resumed job does not redo or re-bill it."""
        now = self.clock()
        update: dict[str, Any] = {"updatedAt": now, "heartbeatAt": now, "leaseExpiresAt": now + self.lease}
        if message is not None:
            update["progress.message"] = message
        change: dict[str, Any] = {"$addToSet": {"params.completedParts": part}, "$set": update}
        if percent is not None:  # parts finish in parallel: progress only ever moves forward
            change["$max"] = {"progress.percent": max(0, min(100, percent))}
        self._owned_update(job, change)

    def finish(self, job: Job, *, status: JobStatus, error: str | None = None) -> None:
        """Close the job with its outcome."""
        if status not in FINISHED:
            raise ValueError(f"{status} is not a final status")
        now = self.clock()
        change: dict[str, Any] = {
            "$set": {
                "status": status.value,
                "error": error,
                "finishedAt": now,
                "updatedAt": now,
                "leaseOwner": None,
                "leaseExpiresAt": None,
                **_finished_progress(status, error, now),
            }
        }
        if status is JobStatus.SUCCEEDED:
            change["$set"]["progress.percent"] = 100
        self._owned_update(job, change)

    def request_cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; its worker notices at its next heartbeat. False if it already ended."""
        now = self.clock()
        result = self.collection.update_one(
            {"_id": job_id, "status": {"$in": [JobStatus.QUEUED.value, JobStatus.RUNNING.value]}},
            {
                "$set": {
                    "status": JobStatus.CANCELED.value,
                    "error": "Canceled by the user.",
                    "finishedAt": now,
                    "updatedAt": now,
                    "leaseOwner": None,
                    "leaseExpiresAt": None,
                    **_finished_progress(JobStatus.CANCELED, "Canceled by the user.", now),
                }
            },
        )
        return result.modified_count == 1

    def abandoned(self) -> list[Job]:
        """Jobs whose lease lapsed and that have used all their attempts (the reconciler fails them)."""
        now = self.clock()
        cursor = self.collection.find(
            {
                "status": JobStatus.RUNNING.value,
                "leaseExpiresAt": {"$lt": now},
                "$expr": {"$gte": ["$attempts", "$maxAttempts"]},
            }
        )
        return [_job_from(document) for document in cursor]

    def force_finish(self, job_id: str, *, status: JobStatus, error: str) -> bool:
        """Close an abandoned job without holding its lease (reconciler only); False if it moved on."""
        now = self.clock()
        result = self.collection.update_one(
            {"_id": job_id, "status": JobStatus.RUNNING.value, "leaseExpiresAt": {"$lt": now}},
            {
                "$set": {
                    "status": status.value,
                    "error": error,
                    "finishedAt": now,
                    "updatedAt": now,
                    "leaseOwner": None,
                    "leaseExpiresAt": None,
                    **_finished_progress(status, error, now),
                }
            },
        )
        return result.modified_count == 1

    def open_for_workflow(self, workflow_id: str) -> Job | None:
        """The workflow's queued or running job, if its record has one (the oldest, should there be more)."""
        found = self.collection.find_one(
            {"workflowId": workflow_id, "status": {"$in": [JobStatus.QUEUED.value, JobStatus.RUNNING.value]}},
            sort=[("createdAt", ASCENDING)],
        )
        return _job_from(found) if found else None

    def for_workflow(self, workflow_id: str) -> list[Job]:
        """Every job of a workflow, oldest first."""
        return [_job_from(d) for d in self.collection.find({"workflowId": workflow_id}).sort("createdAt", ASCENDING)]

    def _owned_update(self, job: Job, update: dict[str, Any]) -> None:
        result = self.collection.update_one(
            {"_id": job.id, "leaseOwner": job.lease_owner, "status": JobStatus.RUNNING.value}, update
        )
        if result.matched_count == 0:
            raise ConflictError(f"Job {job.id} is no longer held by worker {job.lease_owner}.")
