"""Benchmark: a refinement served from the prompt cache versus one that calls the provider.

Runs the app's wiring on a real (in-memory) SecantusDB server on loopback. The provider is a stand-in that
takes --provider-seconds, as the spec's 2-5 s refinement does; the figure that matters is the cache hit.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import Figure, bench_runtime, in_memory_database, machine_line, percentiles, write_results

from services.providers.base import RefinementRequest, RefinementResult
from services.studio.service import NewWorkflow, VideoWorkflowService
from services.workflows.refinement import brief_of
from tests.support.fakes import ScriptedFrameGenerator, ScriptedVideoGenerator, scripted_registry

USER = "bench"


class SlowRefiner:
    """Stands in for Poe: answers after a fixed time and counts its calls."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    def refine(self, request: RefinementRequest) -> RefinementResult:
        self.calls += 1
        time.sleep(self.seconds)
        return RefinementResult("A production prompt.", {"prompt_tokens": 300, "completion_tokens": 400})


def refine_new(service: VideoWorkflowService, brief: NewWorkflow) -> float:
    """Milliseconds of one refinement round on a new workflow with this brief."""
    workflow = service.create_workflow(user_id=USER, brief=brief)
    started = time.perf_counter()
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    return (time.perf_counter() - started) * 1000


def lookup_times(service: VideoWorkflowService, rounds: int) -> list[float]:
    """Milliseconds of the cache lookup alone, for the key the newest workflow's refinement used."""
    cache = service.refinement.prompt_cache
    assert cache is not None
    newest = service.list_workflows(user_id=USER, page_size=1).items[0]
    key = cache.key_for(
        RefinementRequest(brief=brief_of(newest), history=(), additional_info=None, model="gpt-4o"), user_id=USER
    )
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert cache.get(key) is not None
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    """Print the cache-miss time and the cache-hit distribution."""
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50, help="identical refinements served from the cache")
    parser.add_argument("--provider-seconds", type=float, default=2.0)
    args = parser.parse_args()
    refiner = SlowRefiner(args.provider_seconds)
    with in_memory_database() as uri, tempfile.TemporaryDirectory() as scratch:
        runtime = bench_runtime(
            uri, Path(scratch), models=scripted_registry(refiner, ScriptedFrameGenerator(), ScriptedVideoGenerator())
        )
        try:
            service = runtime.service
            brief = NewWorkflow(title="Launch", initial_prompt="A runner at dawn", duration=8)
            miss = refine_new(service, brief)
            hits = [refine_new(service, brief) for _ in range(args.rounds)]
            lookups = lookup_times(service, args.rounds)
        finally:
            runtime.close()
    hit = percentiles(hits)
    print(machine_line())
    print(f"prompt cache: lookup alone median {statistics.median(lookups):.2f} ms, max {max(lookups):.2f} ms")
    print(
        f"prompt cache: miss (provider call) {miss:.0f} ms; hit over {args.rounds} identical requests: "
        f"median {hit['p50']:.1f} ms, p95 {hit['p95']:.1f} ms, max {max(hits):.1f} ms; "
        f"provider calls {refiner.calls} (target: hit < 20 ms, 1 call)"
    )
    write_results(
        "prompt_cache",
        [
            Figure(
                "Refinement served from the prompt cache, median",
                hit["p50"],
                "ms",
                baseline=miss,
                baseline_is=f"cache miss: provider stand-in taking {args.provider_seconds:g} s",
                target="< 20 ms, one provider call in all",
                notes=f"p95 {hit['p95']:.1f} ms; lookup alone {statistics.median(lookups):.2f} ms; "
                f"provider calls {refiner.calls} for {args.rounds + 1} refinements",
            ),
        ],
        started=started,
        parameters=vars(args),
    )


if __name__ == "__main__":
    main()
