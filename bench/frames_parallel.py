"""Parallel vs sequential frame generation, with a scripted provider that takes a fixed time per frame.

Prints both wall-clock times and their ratio. Uses the app's wiring on a real embedded database (in memory),
with the job run inside the request so the time is the generation's own.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import Figure, bench_runtime, in_memory_database, machine_line, write_results

from services.studio.service import NewWorkflow
from tests.support.fakes import ScriptedFrameGenerator, ScriptedRefiner, ScriptedVideoGenerator, scripted_registry


def time_frames(uri: str, data: Path, *, concurrency: int, frames: int, delay: float) -> float:
    """Seconds to generate `frames` frames with the given concurrency, on a runtime of its own."""
    generator = ScriptedFrameGenerator(delay=delay, redraw=False)  # provider time is exactly `delay`
    runtime = bench_runtime(
        uri,
        data,
        models=scripted_registry(ScriptedRefiner(), generator, ScriptedVideoGenerator()),
        FRAME_GENERATION_CONCURRENCY=concurrency,
    )
    try:
        return _timed_storyboard(runtime.service, frames)
    finally:
        runtime.close()


def _timed_storyboard(service, frames: int) -> float:
    workflow = service.create_workflow(user_id="bench", brief=NewWorkflow(title="Bench", initial_prompt="A bench test"))
    service.refine_prompt(user_id="bench", workflow_id=workflow.id)
    started = time.perf_counter()
    service.generate_frames(user_id="bench", workflow_id=workflow.id, frame_count=frames)
    elapsed = time.perf_counter() - started
    assert len(service.get_workflow(user_id="bench", workflow_id=workflow.id).generated_frames) == frames
    return elapsed


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds the scripted provider takes per frame")
    args = parser.parse_args()
    with in_memory_database() as uri, tempfile.TemporaryDirectory() as data:
        parallel = time_frames(uri, Path(data), concurrency=args.frames, frames=args.frames, delay=args.delay)
        sequential = time_frames(uri, Path(data), concurrency=1, frames=args.frames, delay=args.delay)
    print(machine_line())
    print(f"frames: {args.frames}, provider time per frame: {args.delay:.2f} s")
    print(f"parallel:   {parallel:.3f} s  ({parallel / args.delay:.2f}x one frame's time; target < 1.2x)")
    print(f"sequential: {sequential:.3f} s")
    print(f"speed-up parallel vs sequential: {sequential / parallel:.2f}x")
    write_results(
        "frames_parallel",
        [
            Figure(
                f"{args.frames} frames, provider {args.delay:g} s each: wall time",
                parallel,
                "s",
                baseline=sequential,
                baseline_is="the same frames one at a time",
                target=f"< 1.2 x one frame ({1.2 * args.delay:.2f} s)",
                notes=f"{parallel / args.delay:.2f} x one frame's time; speed-up {sequential / parallel:.2f} x",
            ),
        ],
        started=started,
        parameters=vars(args),
    )


if __name__ == "__main__":
    main()
