"""Worker processes for the kill and scale-out tests (see tests/support/job_worker_process.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pymongo.database import Database

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, *, timeout: float, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := condition()) is not None:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


class Workers:
    """Worker processes by pid, all sharing the test database and one stop file."""

    def __init__(
        self, mongo_uri: str, db: Database, tmp_path: Path, backend: str, redis_url: str, *, prediction_seconds: float
    ) -> None:
        self.command = [
            sys.executable,
            "-m",
            "tests.support.job_worker_process",
            "--uri",
            mongo_uri,
            "--database",
            db.name,
            "--data-dir",
            str(tmp_path / "data"),
            "--prediction-seconds",
            str(prediction_seconds),
            "--stop-file",
            str(tmp_path / "stop"),
            "--backend",
            backend,
            "--redis-url",
            redis_url,
        ]
        self.stop_file = tmp_path / "stop"
        self.processes: dict[int, subprocess.Popen] = {}

    def spawn(self) -> None:
        process = subprocess.Popen(self.command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout.readline().strip() == b"ready", "worker failed to start"
        self.processes[process.pid] = process

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        self.processes.pop(pid).wait(timeout=10)

    def stop(self) -> None:
        self.stop_file.touch()
        for process in self.processes.values():
            process.wait(timeout=30)
