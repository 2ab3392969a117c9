"""A generation job as stored: its kind, status, progress and the provider predictions it has made."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from services.workflows.domain import CamelModel


class JobKind(StrEnum):
    GENERATE_FRAMES = "GENERATE_FRAMES"
    REGENERATE_FRAMES = "REGENERATE_FRAMES"
    GENERATE_VIDEO = "GENERATE_VIDEO"
    VIDEO_VARIATIONS = "VIDEO_VARIATIONS"  # Prompt Lab: extra videos from approved frames (services/lab)


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


class JobProgress(CamelModel):
    """What the job is doing now: percent (0-100, never backwards), a message, and the seconds left if known."""

    percent: int = 0
    message: str = "Queued"
    eta_seconds: int | None = None
    updated_at: datetime | None = None


STARTING = "Starting"  # a job a worker holds never says "Queued"


class Job(CamelModel):
    id: str
    workflow_id: str
    user_id: str
    kind: JobKind
    params: dict[str, Any]
    status: JobStatus = JobStatus.QUEUED
    attempts: int = 0
    max_attempts: int
    prediction_ids: dict[str, str] = {}
    prediction_intents: dict[str, str] = {}
    intent_details: dict[str, dict[str, Any]] = {}  # what marks each intent's prediction (files, fingerprint)
    progress: JobProgress = JobProgress()
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None  # when a worker first took it
    finished_at: datetime | None = None
