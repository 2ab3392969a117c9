"""Scale-out for real: two app servers and two job workers share one Redis and one database.

Both apps run `streamlit run app.py` in JOB_BACKEND=redis with rate limits stored in Redis; the
workers run `python scripts/worker.py`, the command `make worker` runs. Fifty frame requests
arrive concurrently, spread over both apps, against a shared limit of 30 a minute: exactly 30
are accepted (the limit is shared, not doubled) and each of their jobs runs exactly once. All four
processes share one PROMETHEUS_MULTIPROC_DIR, and a scrape of either app adds up what each one did.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from pymongo.database import Database

from services.accounts.users import UserService
from services.core.clock import utc_now
from tests.support.app_process import wait_until_ready
from tests.support.network import free_port
from tests.support.scraped_metrics import scrape
from tests.support.worker_processes import wait_for

ROOT = Path(__file__).resolve().parents[2]
REQUESTS, FRAME_LIMIT = 50, 30
PASSWORD = "a long enough password"


def test_two_apps_and_two_workers_run_each_accepted_job_once_under_one_shared_limit(
    mongo_uri: str, db: Database, redis_url: str, tmp_path: Path
):
    env = {
        **os.environ,
        "MONGODB_URI": mongo_uri,
        "MONGODB_DATABASE": db.name,
        "DATA_DIR": str(tmp_path / "data"),
        "JOB_BACKEND": "redis",
        "REDIS_URL": redis_url,
        "RATE_LIMIT_STORAGE_URI": redis_url,
        "RATE_LIMIT_FRAMES": f"{FRAME_LIMIT}/minute",
        "RATE_LIMIT_REFINEMENT": "1000/minute",
        "RATE_LIMIT_PER_IP": "100000/minute",
        "JWT_SIGNING_KEYS": f"k1:{secrets.token_urlsafe(48)}",
        "RECONCILE_INTERVAL_SECONDS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    processes: list[subprocess.Popen] = []

    def start(name: str, command: list[str], **extra_env: str) -> None:
        processes.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**env, **extra_env},
                stdout=open(logs / f"{name}.log", "wb"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            )
        )

    ports = [free_port(), free_port()]
    try:
        for index, port in enumerate(ports):
            start(
                f"app-{index}",
                [
                    str(Path(sys.executable).parent / "streamlit"),
                    "run",
                    "app.py",
                    "--server.port",
                    str(port),
                    "--server.headless",
                    "true",
                ],
            )
        worker_metrics_port = free_port()  # the first worker also serves /metrics itself (WORKER_METRICS_PORT)
        for index in range(2):
            start(
                f"worker-{index}",
                [sys.executable, "scripts/worker.py"],
                **({"WORKER_METRICS_PORT": str(worker_metrics_port)} if index == 0 else {}),
            )
        apps = [f"http://127.0.0.1:{port}/api" for port in ports]
        for index, port in enumerate(ports):
            wait_until_ready(f"http://127.0.0.1:{port}", processes[index], logs / f"app-{index}.log")

        UserService(db, clock=utc_now, bcrypt_rounds=4).register(username="maya", password=PASSWORD, name="Maya")
        token = httpx.post(f"{apps[0]}/auth/token", json={"username": "maya", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['accessToken']}"}

        def prepare(number: int) -> str:
            base = apps[number % 2]
            created = httpx.post(
                f"{base}/video-workflows",
                headers=headers,
                timeout=30,
                json={"title": f"Scale {number}", "initialPrompt": "A crowd at a harbour"},
            ).json()
            httpx.post(f"{base}/video-workflows/{created['id']}/refine-prompt", headers=headers, json={}, timeout=30)
            return created["id"]

        def ask_for_frames(item: tuple[int, str]) -> int:
            number, workflow_id = item
            return httpx.post(
                f"{apps[number % 2]}/video-workflows/{workflow_id}/generate-frames",
                headers=headers,
                json={"frameCount": 1},
                timeout=30,
            ).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            workflow_ids = list(pool.map(prepare, range(REQUESTS)))
            statuses = list(pool.map(ask_for_frames, enumerate(workflow_ids)))

        assert statuses.count(202) == FRAME_LIMIT and statuses.count(429) == REQUESTS - FRAME_LIMIT, statuses
        wait_for(
            lambda: True if db["jobs"].count_documents({"status": "SUCCEEDED"}) == FRAME_LIMIT else None,
            timeout=120,
            every=0.5,
        )
        jobs = list(db["jobs"].find())
        assert len(jobs) == FRAME_LIMIT and all(job["attempts"] == 1 for job in jobs), "each job ran exactly once"
        assert db["video_workflows"].count_documents({"currentStep": "FRAME_REVIEW"}) == FRAME_LIMIT

        # One PROMETHEUS_MULTIPROC_DIR for the host: either app's scrape adds up all four processes.
        for target in [*apps, f"http://127.0.0.1:{worker_metrics_port}"]:
            scraped = scrape(target)
            assert scraped.value("vws_workflows_created_total") == REQUESTS, "created on both apps"
            assert scraped.total("vws_refinement_iterations_total") == REQUESTS
            assert scraped.value("vws_rate_limit_rejections_total", operation="frames") == REQUESTS - FRAME_LIMIT
            frames_made = scraped.value("vws_generation_duration_seconds_count", step="frame", model="stable-diffusion-xl")
            assert frames_made == FRAME_LIMIT, "the frames were made by the two worker processes"
            assert scraped.value("vws_job_queue_depth", status="queued") == 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
