"""A worker process for the kill tests: `generate` runs one frame generation; `standby` reconciles until told to stop.

Run as `python -m tests.job_worker_process MODE --uri URI --database DB --data-dir DIR [...]`.
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
    parser.add_argument("mode", choices=["generate", "standby"])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--prediction-seconds", type=float, default=1.5)
    parser.add_argument("--user")
    parser.add_argument("--workflow")
    parser.add_argument("--stop-file", type=Path)
    args = parser.parse_args()
    settings = Settings(_env_file=None, MONGODB_URI=args.uri, MONGODB_DATABASE=args.database,  # type: ignore[call-arg]
                        DATA_DIR=args.data_dir, JOB_LEASE_SECONDS=LEASE_SECONDS,
                        JOB_HEARTBEAT_SECONDS=HEARTBEAT_SECONDS)
    runtime = start_runtime(settings)
    runtime.service.models = registry_with(MongoScriptedPredictions(runtime.db, seconds=args.prediction_seconds))
    print("ready", flush=True)
    if args.mode == "generate":
        runtime.service.generate_frames(user_id=args.user, workflow_id=args.workflow)
        return
    while not args.stop_file.exists():
        runtime.service.reconcile()
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    main()
