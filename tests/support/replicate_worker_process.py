"""A worker process running video jobs through the real Replicate adapter over the MongoDB-backed fake.

Run as `python -m tests.support.replicate_worker_process --uri URI --database DB --data-dir DIR --stop-file FILE
--clip FILE`; it prints `ready`, then works until the stop file appears.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx
from pymongo.database import Database

from services.bootstrap import bootstrap
from services.core.settings import Settings
from services.providers.registry import ModelRegistry
from services.providers.wiring import Transports, build_registry
from tests.support.job_worker_process import HEARTBEAT_SECONDS, LEASE_SECONDS, POLL_SECONDS
from tests.support.mongo_replicate import MongoReplicate

PREDICTION_SECONDS = 1.0
CREATE_DELAY_SECONDS = 1.5


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("--uri", "--database", "--data-dir", "--stop-file", "--clip"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    settings = Settings(
        _env_file=None,
        MONGODB_URI=args.uri,
        MONGODB_DATABASE=args.database,  # type: ignore[call-arg]
        DATA_DIR=Path(args.data_dir),
        # The test draws the storyboard with its own (file) media store on this DATA_DIR: read the frames there.
        # With MONGODB_URI set the default would be GridFS, where the frames are not.
        MEDIA_STORE="files",
        JOB_BACKEND="embedded",
        JOB_LEASE_SECONDS=LEASE_SECONDS,
        JOB_HEARTBEAT_SECONDS=HEARTBEAT_SECONDS,
        RECONCILE_INTERVAL_SECONDS=POLL_SECONDS,
        REPLICATE_API_KEY="r8_scripted_key",
        INLINE_IMAGE_MAX_BYTES=1024,  # every stored frame is "large": it goes as a file
        PREDICTION_POLL_SECONDS=0.05,
    )
    clip = Path(args.clip).read_bytes()

    def scripted_replicate(db: Database) -> ModelRegistry:
        fake = MongoReplicate(db, seconds=PREDICTION_SECONDS, create_delay=CREATE_DELAY_SECONDS)
        return build_registry(
            settings,
            transports=Transports(
                replicate=httpx.MockTransport(fake),
                media=httpx.MockTransport(lambda request: httpx.Response(200, content=clip)),
                resolver=lambda host: ["104.18.0.1"],
            ),
        )

    # No availability check against the real providers from a test worker.
    runtime = bootstrap(settings, models=scripted_replicate, check_models=False)
    runtime.start_background()
    print("ready", flush=True)
    while not Path(args.stop_file).exists():
        time.sleep(POLL_SECONDS)
    runtime.close()


if __name__ == "__main__":
    main()
