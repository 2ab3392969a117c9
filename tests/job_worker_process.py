"""An embedded-mode app process for the kill tests: its job worker pool runs until the stop file appears.

Run as `python -m tests.job_worker_process --uri URI --database DB --data-dir DIR --stop-file FILE`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from services.runtime import start_runtime
from services.settings import Settings
from tests.scripted_predictions import MongoScriptedPredictions, registry_with

LEASE_SECONDS = 1.5
HEARTBEAT_SECONDS = 0.25
POLL_SECONDS = 0.25


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--prediction-seconds", type=float, default=1.5)
    parser.add_argument("--stop-file", type=Path)
    args = parser.parse_args()
    settings = Settings(_env_file=None, MONGODB_URI=args.uri, MONGODB_DATABASE=args.database,  # type: ignore[call-arg]
                        DATA_DIR=args.data_dir, JOB_LEASE_SECONDS=LEASE_SECONDS, JOB_BACKEND="embedded",
                        JOB_HEARTBEAT_SECONDS=HEARTBEAT_SECONDS, RECONCILE_INTERVAL_SECONDS=POLL_SECONDS)
    runtime = start_runtime(settings)
    runtime.service.models = registry_with(MongoScriptedPredictions(runtime.db, seconds=args.prediction_seconds))
    runtime.start_background()
    print("ready", flush=True)
    while not args.stop_file.exists():
        time.sleep(POLL_SECONDS)
    runtime.close()


if __name__ == "__main__":
    main()
