"""The app started exactly as the README starts it serves the UI, /api/health and /api/ready, on embedded defaults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from services.storage.embedded_db import is_listening, uri_for
from tests.support.app_process import wait_until_ready
from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_run_app_serves_the_ui_and_a_healthy_api_then_stops_its_database(tmp_path: Path):
    app_port, db_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "POE_API_KEY", "REPLICATE_API_KEY")}
    env.update(DATA_DIR=str(tmp_path / "data"), EMBEDDED_DB_PORT=str(db_port), LOG_FORMAT="json")
    streamlit = Path(sys.executable).with_name("streamlit")
    log_path = tmp_path / "app.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed after the process
    server = subprocess.Popen(
        [str(streamlit), "run", "app.py", "--server.port", str(app_port), "--server.headless", "true"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{app_port}"
    try:
        wait_until_ready(base, server, log_path)
        health = httpx.get(base + "/api/health", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "offlineRoles": ["refinement", "frames", "video"]}
        ready = httpx.get(base + "/api/ready", headers={"X-Request-ID": "readiness-probe-1"}, timeout=5)
        assert ready.status_code == 200 and ready.json() == {"status": "ready", "database": "ok", "mediaStore": "ok"}
        assert ready.headers["X-Request-ID"] == "readiness-probe-1"
        assert (tmp_path / "data" / "db").is_dir(), "the embedded database keeps its data under DATA_DIR/db"
        page = httpx.get(base + "/", timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        output = log_path.read_text(errors="replace")
    assert not is_listening(uri_for("127.0.0.1", db_port)), f"embedded database left running:\n{output[-2000:]}"
    # LOG_FORMAT=json: the app's own lines are JSON objects, and the probe's line carries its request id.
    ours = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    probe = [entry for entry in ours if entry.get("request_id") == "readiness-probe-1"]
    assert probe and probe[0]["logger"] == "api.access" and "/api/ready 200" in probe[0]["message"], output[-2000:]
