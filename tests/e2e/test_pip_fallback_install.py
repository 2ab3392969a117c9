"""The pip fallback still installs a working app: `make run INSTALLER=pip` on a fresh clone serves /api/health."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.app_process import wait_until_ready
from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.timeout(900)]


def test_make_run_with_the_forced_pip_fallback_installs_and_serves_the_app(tmp_path: Path):
    clone = tmp_path / "studio"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "POE_API_KEY", "REPLICATE_API_KEY")}
    env.update(
        INSTALLER="pip",
        STREAMLIT_SERVER_PORT=str(port),
        STREAMLIT_SERVER_HEADLESS="true",
        EMBEDDED_DB_PORT=str(free_port()),
        PYTHONPATH="",
        VIRTUAL_ENV="",
    )
    log_path = tmp_path / "make-run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "run"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, log_path, timeout=600)
        health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).json()
        assert health["status"] == "ok"
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # make and the app it started (the app stops its database)
        process.wait(timeout=60)
    output = log_path.read_text()
    assert "Installing with pip (INSTALLER=pip)" in output, "the fallback says which installer it used"
    assert not (clone / ".venv/bin/uv").exists(), "the forced fallback never fetched uv"
