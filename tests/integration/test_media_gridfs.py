"""GridFS media on the real database: keys, metadata, ranges, hard delete, the orphan sweep, and the store choice."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest
from bson import Binary, ObjectId
from pymongo.database import Database

from services.core.clock import utc_now
from services.core.errors import NotFoundError
from services.core.settings import Settings
from services.storage.gridfs_store import GridFSMediaStore
from services.storage.media_maintenance import sweep_orphans
from services.storage.media_store import FileMediaStore
from services.storage.selection import build_media_store
from tests.support.briefs import a_brief

USER = "user-gridfs"


@pytest.fixture
def store(db: Database, tmp_path: Path) -> GridFSMediaStore:
    return GridFSMediaStore(db, scratch_dir=tmp_path / "scratch")


def test_a_file_round_trips_by_range_with_owner_workflow_type_size_and_sha256(store: GridFSMediaStore, db: Database):
    db["video_workflows"].insert_one({"_id": "wf1", "userId": "maya"})
    data = os.urandom(700_000)  # about three GridFS chunks
    store.put_bytes("workflows/wf1/video-a.mp4", data)
    media = store.open("workflows/wf1/video-a.mp4")
    assert media.size == len(data) and media.content_type == "video/mp4"
    assert b"".join(media.chunks()) == data
    assert b"".join(media.chunks(261_000, 523_000)) == data[261_000:523_001], "a range across chunk borders"
    assert b"".join(media.chunks(len(data) - 1)) == data[-1:]
    metadata = db["media.files"].find_one({"filename": "workflows/wf1/video-a.mp4"})["metadata"]
    assert metadata == {
        "owner": "maya",
        "workflowId": "wf1",
        "contentType": "video/mp4",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    with pytest.raises(NotFoundError):
        store.open("workflows/wf1/missing.png")


def test_put_file_streams_a_local_file_in_and_removes_the_local_copy(store: GridFSMediaStore):
    scratch = store.scratch_path(".mp4")
    scratch.write_bytes(b"\x01" * 3_000_000)
    store.put_file("workflows/wf2/video-b.mp4", scratch, owner="ana")
    assert not scratch.exists() and store.get_bytes("workflows/wf2/video-b.mp4") == b"\x01" * 3_000_000


def test_a_failed_write_leaves_no_file_and_no_chunks(store: GridFSMediaStore, db: Database):
    def broken():
        yield b"x" * 600_000
        raise OSError("the source went away")

    with pytest.raises(OSError):
        store.put_stream("workflows/wf3/video-c.mp4", broken())
    assert not store.exists("workflows/wf3/video-c.mp4") and db["media.chunks"].count_documents({}) == 0


def test_a_hard_delete_removes_the_workflows_files_from_gridfs(make_service, db: Database):
    service = make_service(MEDIA_STORE="gridfs")
    assert isinstance(service.media, GridFSMediaStore)
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    framed = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
    other = service.create_workflow(user_id=USER, brief=a_brief())
    service.media.put_bytes(f"workflows/{other.id}/frame-1-x.png", b"kept")
    assert db["media.files"].count_documents({"metadata.workflowId": workflow.id}) == 2
    assert db["media.files"].find_one({"metadata.workflowId": workflow.id})["metadata"]["owner"] == USER
    assert service.read_media(user_id=USER, key=framed.generated_frames[0].image_key).startswith(b"\x89PNG")

    service.delete_workflow(user_id=USER, workflow_id=workflow.id, hard=True)
    assert db["media.files"].count_documents({"metadata.workflowId": workflow.id}) == 0
    assert db["media.files"].count_documents({}) == 1 and service.media.exists(f"workflows/{other.id}/frame-1-x.png")
    assert db["media.chunks"].count_documents({}) == 1


def test_the_orphan_sweep_lists_then_removes_media_of_gone_workflows_and_is_safe_to_rerun(
    store: GridFSMediaStore, db: Database
):
    db["video_workflows"].insert_one({"_id": "alive", "userId": "maya"})
    for workflow_id in ("alive", "gone-1", "gone-2"):
        store.put_bytes(f"workflows/{workflow_id}/frame-1-a.png", b"png" * 1000)
    # A writer killed mid-upload: chunks, and no files document.
    killed = ObjectId()
    store.chunks.insert_many([{"files_id": killed, "n": n, "data": Binary(b"v" * 1000)} for n in range(2)])
    listed: list[str] = []

    first = sweep_orphans(db, store, dry_run=True, now=utc_now(), upload_grace=timedelta(0), report=listed.append)
    assert first.orphan_workflows == ["gone-1", "gone-2"] and first.unfinished_uploads == 1
    assert store.workflow_ids() == {"alive", "gone-1", "gone-2"}, "a dry run removes nothing"
    young = sweep_orphans(db, store, dry_run=False, now=utc_now(), upload_grace=timedelta(hours=1), report=listed.append)
    assert young.unfinished_uploads == 0, "an upload younger than the grace may still be running"

    assert store.workflow_ids() == {"alive"} and store.exists("workflows/alive/frame-1-a.png")
    removed = sweep_orphans(db, store, dry_run=False, now=utc_now(), upload_grace=timedelta(0), report=listed.append)
    assert removed.unfinished_uploads == 1 and removed.chunks_removed == 2
    again = sweep_orphans(db, store, dry_run=False, now=utc_now(), upload_grace=timedelta(0), report=listed.append)
    assert again.orphan_workflows == [] and again.unfinished_uploads == 0
    assert any("gone-1" in line for line in listed)
    assert db["media.chunks"].count_documents({}) == 1


def test_the_files_store_is_swept_the_same_way(tmp_path: Path, db: Database):
    store = FileMediaStore(tmp_path / "media")
    db["video_workflows"].insert_one({"_id": "alive", "userId": "maya"})
    for workflow_id in ("alive", "gone"):
        store.put_bytes(f"workflows/{workflow_id}/frame-1-a.png", b"png")
    result = sweep_orphans(db, store, dry_run=False, now=utc_now(), upload_grace=timedelta(0), report=lambda _: None)
    assert result.orphan_workflows == ["gone"] and store.workflow_ids() == {"alive"}


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        ({}, "files"),
        ({"JOB_BACKEND": "redis"}, "gridfs"),
        ({"MONGODB_URI": "mongodb://127.0.0.1:1"}, "gridfs"),
        ({"MONGODB_URI": "mongodb://127.0.0.1:1", "MEDIA_STORE": "files"}, "files"),
        ({"MEDIA_STORE": "gridfs"}, "gridfs"),
    ],
)
def test_the_store_is_files_on_embedded_defaults_and_gridfs_once_processes_may_be_on_several_hosts(
    overrides: dict, kind: str, db: Database, tmp_path: Path
):
    settings = Settings(_env_file=None, DATA_DIR=tmp_path, **overrides)  # type: ignore[call-arg]
    assert settings.media_store_kind == kind
    expected = GridFSMediaStore if kind == "gridfs" else FileMediaStore
    assert isinstance(build_media_store(settings, db), expected)
