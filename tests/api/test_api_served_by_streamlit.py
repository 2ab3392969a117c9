"""End to end: `streamlit run app.py` as the README starts it, driven over HTTP with the spec's examples."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from pymongo import MongoClient

from services.accounts.users import UserService
from services.core.clock import utc_now
from tests.api import spec_examples as spec
from tests.app_process import wait_until_ready
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"


@pytest.fixture
def running_app(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The whole app on a free port with its own embedded database; yields (API URL, database port)."""
    port, db_port = free_port(), free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "EMBEDDED_DB_PORT": str(db_port)}
    env.pop("MONGODB_URI", None)
    log = open(tmp_path / "streamlit.log", "wb")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "streamlit"),
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/api"
    try:
        wait_until_ready(base.removesuffix("/api"), process, tmp_path / "streamlit.log")
        yield base, db_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def follow_job(client: httpx.Client, steps: str, timeout: float = 120) -> dict:
    """Poll the workflow's job, as a client would, until it has finished; returns the job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"{steps}/job").json()
        if job["status"] not in ("QUEUED", "RUNNING"):
            assert client.get(steps).json()["status"] != "PROCESSING"
            return job
        time.sleep(0.2)
    raise AssertionError("the generation job did not finish")


def test_the_spec_examples_complete_a_workflow_against_the_app_started_like_the_readme(running_app):
    base, db_port = running_app
    database = MongoClient(f"mongodb://127.0.0.1:{db_port}", tz_aware=True)
    UserService(database["video_workflow_studio"], clock=utc_now, bcrypt_rounds=4).register(
        username="maya", password=PASSWORD, name="Maya"
    )
    database.close()

    with httpx.Client(base_url=base, timeout=120) as client:
        tokens = client.post("/auth/token", json={"username": "maya", "password": PASSWORD}).json()
        client.headers["Authorization"] = f"Bearer {tokens['accessToken']}"
        workflow = client.post("/video-workflows", json=spec.CREATE_WORKFLOW).json()
        steps = f"/video-workflows/{workflow['id']}"
        assert client.post(f"{steps}/refine-prompt", json={}).status_code == 200
        assert client.post(f"{steps}/refine-prompt", json=spec.REFINE_PROMPT).status_code == 200
        framed = client.post(f"{steps}/generate-frames", json=spec.GENERATE_FRAMES)
        assert framed.status_code == 202 and framed.json()["status"] == "PROCESSING", "frames run as a job"
        assert framed.json()["activeJobId"]
        follow_job(client, steps)
        reviewed = client.post(f"{steps}/review-frames", json=spec.REVIEW_FRAMES).json()
        assert reviewed["framesApproved"] is False
        assert client.post(f"{steps}/regenerate-frames", json=spec.REGENERATE_FRAMES).status_code == 202
        follow_job(client, steps)
        assert client.post(f"{steps}/review-frames", json=spec.APPROVE_FRAME_TWO).json()["framesApproved"] is True
        assert client.post(f"{steps}/generate-video", json=spec.GENERATE_VIDEO).status_code == 202
        job = follow_job(client, steps)
        assert (job["kind"], job["status"], job["progress"]["percent"]) == ("GENERATE_VIDEO", "SUCCEEDED", 100)
        finished = client.get(steps).json()
        assert (finished["currentStep"], finished["status"]) == ("COMPLETED", "COMPLETED")

        # Media URLs are served by the same server, under /api, to the owner.
        video_url = finished["videoOutput"]["videoUrl"]
        assert video_url.startswith("/api/media/")
        video = client.get(f"{base.removesuffix('/api')}{video_url}")
        assert video.status_code == 200
        with av.open(io.BytesIO(video.content)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert sum(1 for _ in container.decode(stream)) == 30 * 24
        assert httpx.get(f"{base.removesuffix('/api')}{video_url}").status_code == 401
        assert client.get("/openapi.json").json()["servers"] == [{"url": "/api"}]
