"""`make migrate-media` (scripts/migrate_media.py): a DATA_DIR/media of 50 workflows into GridFS, hash-checked,
resumable after a SIGKILL halfway, and a no-op on a second run; local files stay until --remove-files."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo.database import Database

from services.storage.gridfs_store import GridFSMediaStore
from services.storage.media_maintenance import file_digest, media_files
from services.storage.media_store import FileMediaStore
from tests.support.disk_database import disk_database
from tests.support.worker_processes import ROOT, wait_for

WORKFLOWS = 50
FILES_PER_WORKFLOW = 4  # three frames and a video


@pytest.fixture
def mongo_uri(tmp_path: Path) -> Iterator[str]:
    """This module stores 100+ MB of media: a database server of its own, on disk (tests/support/disk_database.py)."""
    with disk_database(tmp_path) as uri:
        yield uri


def _migrate(env: dict[str, str], *extra: str) -> subprocess.Popen:
    command = [sys.executable, "scripts/migrate_media.py", *extra]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output[-3000:]
    return output.strip().splitlines()[-2 if "Local files were kept" in output else -1]


def test_fifty_workflows_migrate_verified_resume_after_a_kill_and_a_second_run_copies_nothing(
    mongo_uri: str, db: Database, tmp_path: Path
):
    data_dir = tmp_path / "data"
    files = FileMediaStore(data_dir / "media")
    for number in range(WORKFLOWS):
        workflow_id = f"wf{number:03d}"
        db["video_workflows"].insert_one({"_id": workflow_id, "userId": f"user-{number % 7}"})
        for frame in (1, 2, 3):
            files.put_bytes(f"workflows/{workflow_id}/frame-{frame}-a{number}.png", os.urandom(40_000 + number))
        files.put_bytes(f"workflows/{workflow_id}/video-a{number}.mp4", os.urandom(1_500_000 + number))
    local = {key: file_digest(iter([path.read_bytes()])) for key, path in media_files(files.root)}
    assert len(local) == WORKFLOWS * FILES_PER_WORKFLOW
    env = {**os.environ, "MONGODB_URI": mongo_uri, "MONGODB_DATABASE": db.name, "DATA_DIR": str(data_dir)}

    halfway = len(local) // 2
    first = _migrate(env)
    wait_for(lambda: True if db["media.files"].count_documents({}) >= halfway else None, timeout=300, every=0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    copied_before_kill = db["media.files"].count_documents({})
    assert halfway <= copied_before_kill < len(local), "killed halfway"

    resumed = _finish(_migrate(env))
    assert resumed.startswith(f"done: {len(local) - copied_before_kill} copied"), resumed
    store = GridFSMediaStore(db, scratch_dir=tmp_path / "scratch")
    for key, (size, sha256) in local.items():
        assert file_digest(store.open(key).chunks()) == (size, sha256), key
        metadata = store.describe(key)["metadata"]
        assert metadata["sha256"] == sha256 and metadata["size"] == size and metadata["owner"].startswith("user-")
    assert db["media.files"].count_documents({}) == len(local), "the killed run's partial copy never became a file"
    assert all((files.root / key).is_file() for key in local), "local files stay until --remove-files"

    again = _finish(_migrate(env))
    assert again.startswith(f"done: 0 copied (0 bytes), {len(local)} already in GridFS, 0 failed"), again

    removed = _finish(_migrate(env, "--remove-files"))
    assert removed == f"done: 0 copied (0 bytes), {len(local)} already in GridFS, 0 failed, {len(local)} local files removed"
    assert not any((files.root / key).exists() for key in local)
    assert (
        hashlib.sha256(store.get_bytes("workflows/wf007/video-a7.mp4")).hexdigest()
        == local["workflows/wf007/video-a7.mp4"][1]
    )
