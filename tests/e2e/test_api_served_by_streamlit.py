"""The seed's own client, verbatim, against `streamlit run app.py` started the README way: seed paths and /api."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from services.accounts.users import UserService
from services.core.clock import utc_now
from tests.support.app_process import wait_until_ready
from tests.support.network import free_port
from tests.support.seed_client import assert_seed_outcome, run_seed_examples

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"


@pytest.fixture
def running_app(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The whole app on a free port with its own embedded database; yields (origin, database port)."""
    port, db_port = free_port(), free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "EMBEDDED_DB_PORT": str(db_port)}
    for name in ("MONGODB_URI", "REPLICATE_API_KEY", "POE_API_KEY"):
        env.pop(name, None)
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
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(origin, process, tmp_path / "streamlit.log")
        yield origin, db_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _signed_in(origin: str, db_port: int, username: str) -> httpx.Client:
    database = MongoClient(f"mongodb://127.0.0.1:{db_port}", tz_aware=True)
    UserService(database["video_workflow_studio"], clock=utc_now, bcrypt_rounds=4).register(
        username=username, password=PASSWORD, name=username.title()
    )
    database.close()
    client = httpx.Client(base_url=origin, timeout=120)
    tokens = client.post("/api/auth/token", json={"username": username, "password": PASSWORD}).json()
    client.headers["Authorization"] = f"Bearer {tokens['accessToken']}"
    return client


def test_the_seeds_client_completes_a_workflow_verbatim_at_its_own_paths_and_under_api(running_app):
    origin, db_port = running_app
    client = _signed_in(origin, db_port, "maya")
    try:
        assert client.get("/video-workflows").status_code == 200, "the seed's paths answer without /api"
        assert httpx.get(f"{origin}/video-workflows").status_code == 401, "with the same authentication"
        assert_seed_outcome(run_seed_examples(client, origin=origin, prefix=""))
        spec = client.get("/api/openapi.json").json()
        assert spec["servers"] == [{"url": "/api"}]
        operations = [op["operationId"] for methods in spec["paths"].values() for op in methods.values()]
        assert len(operations) == len(set(operations)), "each operation is documented once"
        assert not any(path.startswith("/api/") for path in spec["paths"])
    finally:
        client.close()
    # A second user, because the video limit is 1 an hour per user: the same client under /api.
    client = _signed_in(origin, db_port, "nia")
    try:
        run = run_seed_examples(client, origin=origin, prefix="/api")
        assert_seed_outcome(run)
        assert run.workflow["videoOutput"]["videoUrl"].startswith("/api/media/")
        assert httpx.get(f"{origin}{run.workflow['videoOutput']['videoUrl']}").status_code == 401
    finally:
        client.close()
