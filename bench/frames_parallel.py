"""Parallel vs sequential frame generation, with a scripted provider that takes a fixed time per frame.

Prints both wall-clock times and their ratio. Uses a real embedded database (in memory).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import machine_line

from services.embedded_db import IN_MEMORY, EmbeddedDatabase
from services.runtime import start_runtime
from services.settings import Settings
from services.workflow_service import NewWorkflow
from tests.conftest import free_port
from tests.fakes import ScriptedFrameGenerator, ScriptedRefiner, ScriptedVideoGenerator, scripted_registry


def time_frames(runtime, *, concurrency: int, frames: int, delay: float) -> float:
    """Seconds to generate `frames` frames with the given concurrency."""
    service = runtime.service
    service.settings = service.settings.model_copy(update={"FRAME_GENERATION_CONCURRENCY": concurrency})
    frames = ScriptedFrameGenerator(delay=delay, redraw=False)  # provider time is exactly `delay`
    service.models = scripted_registry(ScriptedRefiner(), frames, ScriptedVideoGenerator())
    workflow = service.create_workflow(user_id="bench", brief=NewWorkflow(title="Bench", initial_prompt="A bench test"))
    service.refine_prompt(user_id="bench", workflow_id=workflow.id)
    started = time.perf_counter()
    service.generate_frames(user_id="bench", workflow_id=workflow.id, frame_count=frames)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds the scripted provider takes per frame")
    args = parser.parse_args()
    server = EmbeddedDatabase(storage_path=IN_MEMORY, port=free_port())
    uri = server.start()
    try:
        with tempfile.TemporaryDirectory() as data:
            settings = Settings(_env_file=None, MONGODB_URI=uri, DATA_DIR=Path(data))  # type: ignore[call-arg]
            runtime = start_runtime(settings)
            parallel = time_frames(runtime, concurrency=args.frames, frames=args.frames, delay=args.delay)
            sequential = time_frames(runtime, concurrency=1, frames=args.frames, delay=args.delay)
            runtime.close()
    finally:
        server.stop()
    print(machine_line())
    print(f"frames: {args.frames}, provider time per frame: {args.delay:.2f} s")
    print(f"parallel:   {parallel:.3f} s  ({parallel / args.delay:.2f}x one frame's time; target < 1.2x)")
    print(f"sequential: {sequential:.3f} s")
    print(f"speed-up parallel vs sequential: {sequential / parallel:.2f}x")


if __name__ == "__main__":
    main()
