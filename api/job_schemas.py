"""The response body of GET /video-workflows/{id}/job: a generation job's status and progress."""

from __future__ import annotations

from datetime import datetime

from api.schemas import ResponseModel
from services.jobs.store import Job


class JobProgressOut(ResponseModel):
    """What the job is doing now, as its record holds it."""

    percent: int  # 0-100, never going backwards
    message: str  # e.g. "Frame 2 of 3 · Middle", "Encoding frame 1,240 of 1,800", "veo-3 is rendering clip 2 of 4"
    eta_seconds: int | None = None  # seconds left, as of updatedAt (None: not known yet)
    updated_at: datetime | None = None  # when the progress was last reported


class JobResponse(ResponseModel):
    """A generation job: what runs, how far it got, and how it ended."""

    id: str
    workflow_id: str
    kind: str
    status: str
    attempts: int
    progress: JobProgressOut
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None  # when a worker first took it
    updated_at: datetime
    finished_at: datetime | None = None

    @classmethod
    def of(cls, job: Job) -> JobResponse:
        """The public view of a job (no lease or prediction internals)."""
        fields = {"id", "workflow_id", "kind", "status", "attempts", "progress", "error", "created_at", "finished_at"}
        return cls.model_validate(job.model_dump(include=fields | {"started_at", "updated_at"}))
