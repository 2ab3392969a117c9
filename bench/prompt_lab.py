"""Benchmark: a Prompt Lab run over three refiners that take 1, 2 and 3 s, against calling them one after another.

Runs the app's wiring on a real (in-memory) SecantusDB server on loopback; the refiners are stand-ins that sleep,
so the figure is the lab's own overhead on top of its slowest model (the issue's bound: at most 3.9 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import Figure, bench_runtime, in_memory_database, machine_line, write_results

from tests.support.fakes import ScriptedFrameGenerator, ScriptedVideoGenerator, lab_registry

USER = "bench"
DELAYS = {"gpt-4o": 1.0, "claude-opus-4.6": 2.0, "gemini-3.1-pro": 3.0}
BOUND_SECONDS = 3.9


def main() -> None:
    """Print the wall time of each run, its median, and the sequential baseline."""
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="lab runs to time")
    args = parser.parse_args()
    with in_memory_database() as uri, tempfile.TemporaryDirectory() as scratch:
        runtime = bench_runtime(
            uri,
            Path(scratch),
            RATE_LIMIT_REFINEMENT="1000/minute",
            models=lab_registry(DELAYS, ScriptedFrameGenerator(), ScriptedVideoGenerator()),
        )
        try:
            lab = runtime.lab
            walls, latencies = [], []
            for round_number in range(args.rounds):
                begun = time.perf_counter()
                run = lab.run(user_id=USER, models=list(DELAYS), brief=f"A lighthouse at dusk, take {round_number}")
                walls.append(time.perf_counter() - begun)
                latencies.append({r.model: r.latency_ms for r in run.results})
        finally:
            runtime.close()
    median = statistics.median(walls)
    sequential = sum(DELAYS.values())
    print(machine_line())
    print(
        f"prompt lab: {args.rounds} runs of 3 models (1, 2, 3 s): median {median:.2f} s, max {max(walls):.2f} s; "
        f"one after another it would take {sequential:.1f} s (bound: <= {BOUND_SECONDS} s)"
    )
    print(f"prompt lab: per-model latency of the last run (ms): {latencies[-1]}")
    write_results(
        "prompt_lab",
        [
            Figure(
                "Prompt Lab run, three refiners of 1, 2 and 3 s, median wall time",
                round(median, 3),
                "s",
                baseline=sequential,
                baseline_is="the same three calls one after another",
                target=f"<= {BOUND_SECONDS} s (issue 15)",
                notes=f"max {max(walls):.2f} s over {args.rounds} runs; overhead over the slowest model "
                f"{(median - max(DELAYS.values())) * 1000:.0f} ms",
            ),
        ],
        started=started,
        parameters=vars(args),
        details={"walls": walls, "latencies": latencies},
    )


if __name__ == "__main__":
    main()
