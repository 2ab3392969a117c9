"""A worker SIGKILLed while it streams a video into GridFS leaves no half file a reader can see, and the retry finishes.

The worker processes (tests/support/media_kill_worker.py) run the app's own job pool on GridFS media; their video provider
renders a 120 MiB file, so the upload takes long enough to be caught mid-way.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from pymongo.database import Database

from services.core.clock import utc_now
from services.storage.gridfs_store import GridFSMediaStore
from services.storage.media_maintenance import sweep_orphans
from services.workflows.domain import WorkflowStatus, WorkflowStep
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.disk_database import disk_database
from tests.support.media_kill_worker import PIECE
from tests.support.worker_processes import ROOT, wait_for

USER = "user-kill"
VIDEO_MB = 120


@pytest.fixture
def mongo_uri(tmp_path: Path) -> Iterator[str]:
    """This module stores 100+ MB of media: a database server of its own, on disk (tests/support/disk_database.py)."""
    with disk_database(tmp_path) as uri:
        yield uri


def _spawn(mongo_uri: str, db: Database, tmp_path: Path, name: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.support.media_kill_worker", "--uri", mongo_uri, "--database", db.name]
    command += ["--data-dir", str(tmp_path / name), "--stop-file", str(tmp_path / "stop"), "--video-mb", str(VIDEO_MB)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready", "worker failed to start"
    return process


def _upload_in_flight(db: Database) -> object | None:
    """The id of a chunk run at least 40 chunks (10 MB) long that has no files document yet."""
    chunk = db["media.chunks"].find_one({"n": {"$gte": 40}}, {"files_id": 1})
    if chunk is None or db["media.files"].find_one({"_id": chunk["files_id"]}) is not None:
        return None
    return chunk["files_id"]


def test_a_worker_killed_mid_upload_leaves_no_visible_half_file_and_the_retry_completes(
    make_service, mongo_uri: str, db: Database, tmp_path: Path
):
    service = make_service(  # queue only: its dispatcher is never started, so the worker processes run the jobs
        MEDIA_STORE="gridfs", JOB_BACKEND="embedded", REDIS_URL=SecretStr("redis://unused"), dispatched=True
    )
    store = service.media
    assert isinstance(store, GridFSMediaStore)
    first = _spawn(mongo_uri, db, tmp_path, "host-a")
    second = None
    try:
        workflow = service.create_workflow(user_id=USER, brief=a_brief())
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
        service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
        wait_for(
            lambda: True if service.get_workflow(user_id=USER, workflow_id=workflow.id).generated_frames else None,
            timeout=60,
            every=0.2,
        )
        wait_for(lambda: db["jobs"].find_one({"status": "SUCCEEDED"}), timeout=60, every=0.2)
        frames = service.get_workflow(user_id=USER, workflow_id=workflow.id).generated_frames
        reviews = [FrameReview(frame.frame_number, True) for frame in frames]
        service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=reviews)
        job_id = service.generate_video(user_id=USER, workflow_id=workflow.id, fps=12).active_job_id

        killed_upload = wait_for(lambda: _upload_in_flight(db), timeout=120, every=0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)

        # What the killed writer left: chunks, but no files document, so no reader can find the file.
        assert db["media.chunks"].count_documents({"files_id": killed_upload}) >= 40
        assert (
            db["media.files"].count_documents({"metadata.workflowId": workflow.id, "filename": {"$regex": "/video-"}}) == 0
        )
        assert service.get_workflow(user_id=USER, workflow_id=workflow.id).video_output is None

        second = _spawn(mongo_uri, db, tmp_path, "host-b")
        final = wait_for(
            lambda: db["jobs"].find_one({"_id": job_id, "status": {"$in": ["SUCCEEDED", "FAILED", "CANCELED"]}}),
            timeout=180,
            every=0.2,
        )
        assert final["status"] == "SUCCEEDED" and final["attempts"] == 2, final
        done = service.get_workflow(user_id=USER, workflow_id=workflow.id)
        assert (done.current_step, done.status) == (WorkflowStep.COMPLETED, WorkflowStatus.COMPLETED)
        assert done.video_output is not None
        media = service.open_media(user_id=USER, key=done.video_output.video_key)
        digest = hashlib.sha256()
        for piece in media.chunks():
            digest.update(piece)
        expected = hashlib.sha256()
        for _ in range(VIDEO_MB):
            expected.update(PIECE)
        assert media.size == VIDEO_MB * len(PIECE) and digest.hexdigest() == expected.hexdigest()
        videos = list(db["media.files"].find({"metadata.workflowId": workflow.id, "filename": {"$regex": "/video-"}}))
        assert len(videos) == 1 and videos[0]["metadata"]["sha256"] == expected.hexdigest()

        # The sweep removes the killed upload's chunks, and nothing of the finished files.
        swept = sweep_orphans(db, store, dry_run=False, now=utc_now(), upload_grace=timedelta(0), report=lambda _: None)
        assert swept.unfinished_uploads == 1
        assert db["media.chunks"].count_documents({"files_id": killed_upload}) == 0
        assert db["media.chunks"].count_documents({"files_id": videos[0]["_id"]}) == -(-media.size // store.chunk_bytes)
    finally:
        (tmp_path / "stop").touch()
        for process in (first, second):
            if process is not None and process.poll() is None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
