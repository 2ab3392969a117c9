"""A worker process for the kill tests, in embedded mode (an app process with its job pool) or redis
mode (a scale-out worker fed by Dramatiq); it works until the stop file appears.

Run as `python -m tests.support.job_worker_process --uri URI --database DB --data-dir DIR --stop-file FILE`.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from scripts.worker import serve_runtime
from services.bootstrap import bootstrap
from services.core.settings import Settings
from tests.support.scripted_predictions import MongoScriptedPredictions, registry_with

LEASE_SECONDS = 1.5
HEARTBEAT_SECONDS = 0.25
POLL_SECONDS = 0.25


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--prediction-seconds", type=float, default=1.5)
    parser.add_argument("--stop-file", type=Path, required=True)
    parser.add_argument("--backend", choices=["embedded", "redis"], default="embedded")
    parser.add_argument("--redis-url")
    args = parser.parse_args()
    settings = Settings(
        _env_file=None,
        MONGODB_URI=args.uri,
        MONGODB_DATABASE=args.database,  # type: ignore[call-arg]
        DATA_DIR=args.data_dir,
        JOB_LEASE_SECONDS=LEASE_SECONDS,
        JOB_BACKEND=args.backend,
        JOB_HEARTBEAT_SECONDS=HEARTBEAT_SECONDS,
        RECONCILE_INTERVAL_SECONDS=POLL_SECONDS,
        REDIS_URL=args.redis_url,
        JOB_QUEUE_HEARTBEAT_TIMEOUT_SECONDS=LEASE_SECONDS,
    )
    runtime = bootstrap(
        settings, models=lambda db: registry_with(MongoScriptedPredictions(db, seconds=args.prediction_seconds))
    )
    stop = threading.Event()
    if args.backend == "redis":
        threading.Thread(target=serve_runtime, args=(runtime,), kwargs={"stop": stop}, daemon=True).start()
    else:
        runtime.start_background()
    print("ready", flush=True)
    while not args.stop_file.exists():
        time.sleep(POLL_SECONDS)
    stop.set()
    runtime.close()


if __name__ == "__main__":
    main()
