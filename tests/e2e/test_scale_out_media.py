"""Two hosts for real: two app servers and two `make worker` processes, each with its own DATA_DIR, sharing one
Redis and one database, and so one GridFS media store (MEDIA_STORE defaults to gridfs with MONGODB_URI set).

One worker makes the frames, is stopped, and another makes the video from those frames. Every frame and the
video are then fetched through both app servers, with a token and through a signed URL: byte-identical, and a
Range request gets 206 with the right bytes.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
from pymongo.database import Database

from services.accounts.users import UserService
from services.core.clock import utc_now
from services.storage.signed_urls import MediaUrlSigner
from tests.support.app_process import wait_until_ready
from tests.support.network import free_port
from tests.support.worker_processes import ROOT, wait_for

PASSWORD = "a long enough password"


class Hosts:
    """Processes started like on separate machines: each gets its own DATA_DIR."""

    def __init__(self, env: dict[str, str], root: Path) -> None:
        self.env, self.root = env, root
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        (self.root / name).mkdir()
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, "DATA_DIR": str(self.root / name / "data")},
            stdout=open(self.root / name / "log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        return self.processes[name]

    def stop(self, name: str) -> None:
        process = self.processes[name]
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                self.stop(name)


def _wait_job(api: str, headers: dict, workflow_id: str) -> dict:
    def settled() -> dict | None:
        job = httpx.get(f"{api}/video-workflows/{workflow_id}/job", headers=headers, timeout=30).json()
        return job if job.get("status") in ("SUCCEEDED", "FAILED", "CANCELED") else None

    return wait_for(settled, timeout=180, every=0.5)


def test_two_hosts_share_frames_and_video_through_gridfs(mongo_uri: str, db: Database, redis_url: str, tmp_path: Path):
    signing_key = secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "MONGODB_URI": mongo_uri,
        "MONGODB_DATABASE": db.name,
        "JOB_BACKEND": "redis",
        "REDIS_URL": redis_url,
        "RATE_LIMIT_STORAGE_URI": redis_url,
        "JWT_SIGNING_KEYS": f"k1:{secrets.token_urlsafe(48)}",
        "MEDIA_URL_SIGNING_KEY": signing_key,
        "UI_COOKIE_KEY": secrets.token_urlsafe(48),
        "RECONCILE_INTERVAL_SECONDS": "1",
    }
    hosts = Hosts(env, tmp_path)
    ports = [free_port(), free_port()]
    streamlit = str(Path(sys.executable).parent / "streamlit")
    worker = [sys.executable, "scripts/worker.py"]
    try:
        for index, port in enumerate(ports):
            hosts.start(
                f"app-{index}", [streamlit, "run", "app.py", "--server.port", str(port), "--server.headless", "true"]
            )
        hosts.start("worker-a", worker)
        for index, port in enumerate(ports):
            wait_until_ready(f"http://127.0.0.1:{port}", hosts.processes[f"app-{index}"], tmp_path / f"app-{index}" / "log")
        apps = [f"http://127.0.0.1:{port}/api" for port in ports]

        UserService(db, clock=utc_now, bcrypt_rounds=4).register(username="maya", password=PASSWORD, name="Maya")
        token = httpx.post(f"{apps[0]}/auth/token", json={"username": "maya", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['accessToken']}"}
        brief = {"title": "Two hosts", "initialPrompt": "A ferry crossing at dusk", "metadata": {"duration": 2}}
        workflow = httpx.post(f"{apps[0]}/video-workflows", headers=headers, json=brief, timeout=30).json()
        url = f"{{}}/video-workflows/{workflow['id']}"
        assert httpx.post(url.format(apps[1]) + "/refine-prompt", headers=headers, json={}, timeout=30).status_code == 200

        # Host A's worker makes the frames; it is stopped before the video is asked for.
        asked = httpx.post(
            url.format(apps[0]) + "/generate-frames",
            headers=headers,
            json={"frameCount": 3, "model": "offline-storyboard"},
            timeout=30,
        )
        assert asked.status_code == 202, asked.text
        assert _wait_job(apps[0], headers, workflow["id"])["status"] == "SUCCEEDED"
        hosts.stop("worker-a")
        framed = httpx.get(url.format(apps[1]), headers=headers, timeout=30).json()
        reviews = [{"frameNumber": frame["frameNumber"], "approved": True} for frame in framed["generatedFrames"]]
        assert len(reviews) == 3
        reviewed = httpx.post(url.format(apps[1]) + "/review-frames", headers=headers, json={"frameReviews": reviews})
        assert reviewed.status_code == 200, reviewed.text

        # Host B's worker, on its own DATA_DIR, reads those frames from GridFS and makes the video.
        hosts.start("worker-b", worker)
        video_asked = httpx.post(
            url.format(apps[1]) + "/generate-video",
            headers=headers,
            json={"model": "offline-animatic", "duration": 2, "fps": 12},
            timeout=30,
        )
        assert video_asked.status_code == 202, video_asked.text
        assert _wait_job(apps[1], headers, workflow["id"])["status"] == "SUCCEEDED"
        done = httpx.get(url.format(apps[0]), headers=headers, timeout=30).json()
        assert done["currentStep"] == "COMPLETED", done

        signer = MediaUrlSigner(signing_key.encode())
        media_urls = [frame["imageUrl"] for frame in done["generatedFrames"]] + [done["videoOutput"]["videoUrl"]]
        assert len(media_urls) == 4
        for media_url in media_urls:
            key = media_url.removeprefix("/api/media/")
            bodies = [httpx.get(f"{app}/media/{key}", headers=headers, timeout=60) for app in apps]
            signed = [httpx.get(app.removesuffix("/api") + signer.sign(key), timeout=60) for app in apps]
            assert all(response.status_code == 200 for response in bodies + signed), [r.status_code for r in bodies + signed]
            assert len({response.content for response in bodies + signed}) == 1, f"{key} differs between hosts"
            assert len(bodies[0].content) > 1000
        video_key = done["videoOutput"]["videoUrl"].removeprefix("/api/media/")
        video = httpx.get(f"{apps[0]}/media/{video_key}", headers=headers, timeout=60).content
        assert video[4:8] == b"ftyp", "an MP4"
        for app in apps:
            part = httpx.get(f"{app}/media/{video_key}", headers={**headers, "Range": "bytes=100-1123"}, timeout=60)
            assert part.status_code == 206 and part.content == video[100:1124]
            assert part.headers["content-range"] == f"bytes 100-1123/{len(video)}"

        # Nothing was written to any host's local media folder: GridFS holds it all.
        for name in ("app-0", "app-1", "worker-a", "worker-b"):
            local = tmp_path / name / "data" / "media" / "workflows"
            assert not local.exists() or not any(local.iterdir()), f"{name} kept media locally"
        assert db["media.files"].count_documents({"metadata.workflowId": workflow["id"]}) == 4
    finally:
        hosts.stop_all()
