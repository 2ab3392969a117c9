"""A job worker process (embedded pool) on GridFS media whose video provider renders a big file, for the kill test.

Run as `python -m tests.support.media_kill_worker --uri URI --database DB --data-dir DIR --stop-file FILE --video-mb N`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from services.bootstrap import bootstrap
from services.core.settings import Settings
from services.providers.base import VideoRequest, VideoResult
from services.providers.offline_refiner import OfflineRefiner
from services.providers.offline_storyboard import OfflineStoryboardRenderer
from services.providers.registry import ModelRegistry, ModelRole
from tests.support.job_worker_process import HEARTBEAT_SECONDS, LEASE_SECONDS, POLL_SECONDS

PIECE = bytes(range(256)) * 4096  # 1 MiB


class BigVideo:
    """A video provider whose output is `megabytes` MiB (a long, high-bitrate render)."""

    def __init__(self, megabytes: int) -> None:
        self.megabytes = megabytes

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        with open(output_path, "wb") as handle:
            for _ in range(self.megabytes):
                handle.write(PIECE)
        return VideoResult(path=output_path, frame_count=request.duration * request.fps, provider="scripted")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--stop-file", type=Path, required=True)
    parser.add_argument("--video-mb", type=int, default=100)
    args = parser.parse_args()
    settings = Settings(
        _env_file=None,
        MONGODB_URI=args.uri,  # type: ignore[arg-type]
        MONGODB_DATABASE=args.database,
        DATA_DIR=args.data_dir,
        JOB_LEASE_SECONDS=LEASE_SECONDS,
        JOB_HEARTBEAT_SECONDS=HEARTBEAT_SECONDS,
        RECONCILE_INTERVAL_SECONDS=POLL_SECONDS,
    )
    registry = ModelRegistry()
    registry.register(ModelRole.REFINEMENT, "gpt-4o", provider_name="offline", implementation=OfflineRefiner())
    registry.register(
        ModelRole.FRAMES, "stable-diffusion-xl", provider_name="offline", implementation=OfflineStoryboardRenderer()
    )
    registry.register(ModelRole.VIDEO, "veo-3", provider_name="scripted", implementation=BigVideo(args.video_mb))
    runtime = bootstrap(settings, models=registry)
    runtime.start_background()
    print("ready", flush=True)
    while not args.stop_file.exists():
        time.sleep(POLL_SECONDS)
    runtime.close()


if __name__ == "__main__":
    main()
