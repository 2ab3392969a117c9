"""The app started exactly as the README starts it serves the UI and /api/health, on embedded defaults."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from services.embedded_db import is_listening, uri_for
from tests.app_process import wait_until_healthy
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_run_app_serves_the_ui_and_a_healthy_api_then_stops_its_database(tmp_path: Path):
    app_port, db_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "POE_API_KEY", "REPLICATE_API_KEY")}
    env.update(DATA_DIR=str(tmp_path / "data"), EMBEDDED_DB_PORT=str(db_port))
    streamlit = Path(sys.executable).with_name("streamlit")
    log_path = tmp_path / "app.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed after the process
    server = subprocess.Popen(
        [str(streamlit), "run", "app.py", "--server.port", str(app_port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{app_port}"
    try:
        wait_until_healthy(base, server, log_path)
        health = httpx.get(base + "/api/health", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok"}
        assert (tmp_path / "data" / "db").is_dir(), "the embedded database keeps its data under DATA_DIR/db"
        page = httpx.get(base + "/", timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        output = log_path.read_text(errors="replace")
    assert not is_listening(uri_for("127.0.0.1", db_port)), f"embedded database left running:\n{output[-2000:]}"
