"""A new user's first run: seconds from `make run` on a fresh clone, with no pip or uv cache, to /api/health.

    .venv/bin/python bench/first_run.py [--installer uv|pip]

Clones this repository's HEAD into a temporary folder, runs the README's first command there with
PIP_NO_CACHE_DIR=1 and UV_NO_CACHE=1 (every wheel comes from the registry again), and polls /api/health until it
answers. Target (issue 19): ≤ 30 s on the 2-core machine. The figure includes creating the venv, the install and
the app's start-up with its embedded database; it depends on the registry's speed and on the machine's load.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from _common import ROOT, Figure, machine_line, write_results

DEADLINE_SECONDS = 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_run_seconds(installer: str) -> tuple[float, str]:
    """Clone, `make run` with empty caches, and time until /api/health answers; returns the seconds and the log."""
    with tempfile.TemporaryDirectory(prefix="first-run-") as scratch:
        clone = Path(scratch) / "studio"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "POE_API_KEY", "REPLICATE_API_KEY")}
        env.update(
            PIP_NO_CACHE_DIR="1",
            UV_NO_CACHE="1",
            INSTALLER=installer,
            STREAMLIT_SERVER_PORT=str(port),
            STREAMLIT_SERVER_HEADLESS="true",
            EMBEDDED_DB_PORT=str(free_port()),
            VIRTUAL_ENV="",
        )
        log_path = Path(scratch) / "make-run.log"
        started = time.perf_counter()
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                ["make", "run"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                while time.perf_counter() - started < DEADLINE_SECONDS:
                    if process.poll() is not None:
                        raise SystemExit(f"make run exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
                    try:
                        if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                            return time.perf_counter() - started, log_path.read_text()
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.25)
                raise SystemExit(f"/api/health did not answer within {DEADLINE_SECONDS} s")
            finally:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--installer", choices=("uv", "pip"), default="uv")
    installer = parser.parse_args().installer
    started = time.perf_counter()
    load = os.getloadavg()[0]
    seconds, _ = first_run_seconds(installer)
    print(machine_line())
    print(f"fresh clone, no caches, INSTALLER={installer}: /api/health answered {seconds:.1f} s after `make run`")
    print(f"load average at the start: {load:.2f}")
    figure = Figure(
        figure=f"fresh clone to /api/health with `make run` ({installer}, no caches)",
        ours=round(seconds, 1),
        unit="s",
        target="≤ 30 s (issue 19)",
        notes=f"load average {load:.2f} at the start",
    )
    write_results("first_run", [figure], started=started, parameters={"installer": installer})


if __name__ == "__main__":
    main()
