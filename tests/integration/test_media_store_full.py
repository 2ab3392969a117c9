"""A media store that refuses writes: the frame step fails saying so, leaves no file, and succeeds on retry."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from services.core.errors import MediaStoreError, StepFailedError
from services.storage.media_store import FileMediaStore
from services.workflows.domain import WorkflowStatus, WorkflowStep
from tests.support.briefs import a_brief

USER = "user-alice"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: chattr +i and a small tmpfs stand in for a bad disk")


@contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """Make the folders refuse every write, even root's (chattr +i), until the block ends."""
    subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


@contextmanager
def tiny_disk(path: Path, size: str = "64k") -> Iterator[Path]:
    """A tmpfs of a few kilobytes: writes past it fail with ENOSPC, as on a full disk."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".probe")]


def test_a_read_only_media_store_fails_the_frame_step_clearly_leaves_no_file_and_the_retry_succeeds(
    make_service, tmp_path: Path
):
    media_dir = tmp_path / "media"
    service = make_service(MEDIA_DIR=media_dir, MEDIA_STORE="files")
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)

    with immutable(media_dir, media_dir / "tmp"):
        assert service.media.health() == "read-only"
        with pytest.raises(StepFailedError, match="The media store refuses writes"):
            service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)  # inline jobs raise
        failed = service.get_workflow(user_id=USER, workflow_id=workflow.id)
        assert failed.status is WorkflowStatus.FAILED
        assert "The media store refuses writes" in failed.errors[-1].message
        assert files_under(media_dir) == [], "no partial file for a reader"

    assert service.media.health() == "ok"
    service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
    retried = service.get_workflow(user_id=USER, workflow_id=workflow.id)
    assert retried.current_step is WorkflowStep.FRAME_REVIEW
    assert len(retried.generated_frames) == 2


def test_a_full_disk_says_the_media_store_is_full_and_keeps_no_half_file(tmp_path: Path):
    with tiny_disk(tmp_path / "disk") as disk:
        store = FileMediaStore(disk / "media")
        with pytest.raises(MediaStoreError, match="The media store is full") as refused:
            store.put_bytes("workflows/w1/frames/0.png", b"x" * 200_000)
        assert refused.value.condition == "full"
        assert files_under(disk) == []
        with pytest.raises(OSError), open(disk / "filler", "wb") as filler:  # noqa: PT012 - fill it to the brim
            while True:
                filler.write(b"x" * 4096)
                filler.flush()
        assert store.health() == "full"
