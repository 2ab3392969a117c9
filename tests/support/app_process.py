"""Waiting for an app process started the README's way (`streamlit run app.py`) to serve /api/ready, and stopping it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx


def wait_until_ready(origin: str, process: subprocess.Popen, log_path: Path, *, timeout: float = 90) -> None:
    """Return once origin/api/ready answers 200; fail with the app's log if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the app exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{origin}/api/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the app did not answer /api/ready within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


def stop_app(process: subprocess.Popen) -> None:
    """SIGTERM lets the lifespan stop the embedded database; the process group is killed if it hangs."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
