"""Prometheus metrics: what the studio counts, and the exposition behind GET /api/metrics.

Counters and histograms live in the process that does the work (app server or job worker).
With PROMETHEUS_MULTIPROC_DIR set (scale-out on one host), every process writes its values to
files there and a scrape of any app server adds them up, the way prometheus-client documents.
Queue depth and age are read from the jobs collection at scrape time instead: the database is
the queue's truth, so the figure is the same whichever process is scraped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from services.core.errors import ConfigurationError

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus-client opens its value files there as the metrics below are defined.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

PREFIX = "vws"
# Provider calls take from under a second (offline, cached) to minutes (video), per the provider reference.
GENERATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1, 2.5, 5, 10)
ITERATION_BUCKETS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50, 100)

WORKFLOWS_CREATED = Counter(f"{PREFIX}_workflows_created", "Workflows created.")
REFINEMENT_ROUNDS = Counter(f"{PREFIX}_refinement_iterations", "Refinement rounds completed, by model.", ["model", "cached"])
REFINEMENTS_PER_WORKFLOW = Histogram(
    f"{PREFIX}_refinement_iterations_per_workflow",
    "Refinement rounds a workflow took before its first storyboard was generated.",
    buckets=ITERATION_BUCKETS,
)
FRAME_REVIEWS = Counter(f"{PREFIX}_frame_reviews", "Frame review decisions (approval rate = approved / all).", ["decision"])
VIDEO_GENERATIONS = Counter(
    f"{PREFIX}_video_generations", "Video generations that ended, by model and outcome.", ["model", "outcome"]
)
GENERATION_SECONDS = Histogram(
    f"{PREFIX}_generation_duration_seconds",
    "Time a provider took for one successful generation, by step and model.",
    ["step", "model"],
    buckets=GENERATION_BUCKETS,
)
STEP_ERRORS = Counter(f"{PREFIX}_step_errors", "Generation steps that failed, by step and provider.", ["step", "provider"])
RATE_LIMIT_REJECTIONS = Counter(f"{PREFIX}_rate_limit_rejections", "Requests refused by a rate limit (429).", ["operation"])
EMBEDDED_DB_RESTARTS = Counter(
    f"{PREFIX}_embedded_db_restarts", "Times the app restarted the embedded database it supervises after it died."
)
CIRCUIT_OPEN = Gauge(
    f"{PREFIX}_provider_circuit_open",
    "1 while a provider model's circuit breaker is open or probing (its calls fail fast), else 0.",
    ["provider", "model"],
    multiprocess_mode="max",
)
HTTP_REQUEST_SECONDS = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "REST API request latency, by route.",
    ["method", "route", "status"],
    buckets=HTTP_BUCKETS,
)


# ---- recording: one call per thing that happened ----------------------------------------------


def embedded_db_restarted() -> None:
    EMBEDDED_DB_RESTARTS.inc()


def circuit_changed(provider: str, model: str, state: str) -> None:
    CIRCUIT_OPEN.labels(provider=provider, model=model).set(0 if state == "closed" else 1)


def workflow_created() -> None:
    WORKFLOWS_CREATED.inc()


def refinement_completed(*, model: str, cached: bool, seconds: float) -> None:
    """A refinement round; only provider calls (not cache hits) count towards generation time."""
    REFINEMENT_ROUNDS.labels(model=model, cached=str(cached).lower()).inc()
    if not cached:
        GENERATION_SECONDS.labels(step="refinement", model=model).observe(seconds)


def storyboard_started(*, refinement_rounds: int) -> None:
    """The prompt was taken into frame generation: how many rounds it took."""
    REFINEMENTS_PER_WORKFLOW.observe(refinement_rounds)


def frames_reviewed(decisions: Iterable[bool]) -> None:
    for approved in decisions:
        FRAME_REVIEWS.labels(decision="approved" if approved else "rejected").inc()


def generation_timed(*, step: str, model: str, seconds: float) -> None:
    GENERATION_SECONDS.labels(step=step, model=model).observe(seconds)


def video_finished(*, model: str, succeeded: bool) -> None:
    VIDEO_GENERATIONS.labels(model=model, outcome="succeeded" if succeeded else "failed").inc()


def step_failed(*, step: str, provider: str | None) -> None:
    STEP_ERRORS.labels(step=step, provider=provider or "none").inc()


def rate_limited(*, operation: str) -> None:
    RATE_LIMIT_REJECTIONS.labels(operation=operation).inc()


def http_request_timed(*, method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUEST_SECONDS.labels(method=method, route=route, status=str(status)).observe(seconds)


# ---- exposition --------------------------------------------------------------------------------


class _ThisProcess(Collector):
    """The default registry's metrics, when each process is scraped on its own."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def check_multiprocess_setting(configured: Path | None) -> None:
    """PROMETHEUS_MULTIPROC_DIR works only from the process environment: refuse a value that came from .env alone."""
    actual = multiprocess_dir()
    if configured is not None and (actual is None or Path(actual).resolve() != configured.resolve()):
        raise ConfigurationError(
            "PROMETHEUS_MULTIPROC_DIR is set in .env but not in the process environment, where prometheus-client "
            "reads it: export it before starting each app server and worker."
        )


def multiprocess_dir() -> str | None:
    """The directory shared by the processes of one host, when metrics are to be added up across them."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def scrape_registry(queue: Collector) -> CollectorRegistry:
    """What a scrape returns: this host's processes (or this process) plus the shared queue's collector."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(queue)
    return registry


def exposition(queue: Collector) -> bytes:
    """The Prometheus text format for GET /api/metrics (queue: the jobs package's JobQueueCollector)."""
    return generate_latest(scrape_registry(queue))
