"""Scale-out job worker: `python -m services.worker` (or `make worker`), one per process or machine.

Needs JOB_BACKEND=redis, REDIS_URL, and the same MONGODB_URI as the app servers.
"""

from __future__ import annotations

import logging
import signal
import threading

import dramatiq
from prometheus_client import start_http_server

from services import metrics
from services.job_dispatch import PeriodicReconciler
from services.job_queue import ACTOR_NAME, QUEUE_NAME, build_broker
from services.log_setup import configure_logging
from services.runtime import Runtime, start_runtime
from services.settings import load_settings
from services.workflow_service import utc_now

log = logging.getLogger(__name__)
ACTOR_TIME_LIMIT_MS = 3 * 60 * 60 * 1000  # longer than any video; our own leases detect stuck work


def serve(runtime: Runtime, *, stop: threading.Event) -> None:
    """Consume job ids from Redis and reconcile lapsed jobs until stop is set."""
    settings = runtime.settings
    broker = build_broker(settings)

    @dramatiq.actor(actor_name=ACTOR_NAME, queue_name=QUEUE_NAME, broker=broker, max_retries=0,
                    time_limit=ACTOR_TIME_LIMIT_MS)
    def run_generation_job(job_id: str) -> None:
        runtime.service.run_queued_job(job_id)

    worker = dramatiq.Worker(broker, worker_threads=settings.JOB_WORKER_THREADS)
    reconciler = PeriodicReconciler(runtime.service.reconcile, interval=settings.RECONCILE_INTERVAL_SECONDS)
    worker.start()
    reconciler.start()
    log.info("job worker %s consuming %r", runtime.service.jobs.worker_id, QUEUE_NAME)
    try:
        stop.wait()
    finally:
        reconciler.stop()
        worker.stop()
        broker.close()


def main() -> None:
    """Start a worker with the environment's settings; SIGTERM or Ctrl-C stops it after its current jobs."""
    settings = load_settings()
    configure_logging(settings)
    if settings.JOB_BACKEND != "redis":
        raise SystemExit("services.worker runs scale-out jobs: set JOB_BACKEND=redis and REDIS_URL.")
    runtime = start_runtime(settings)
    if settings.WORKER_METRICS_PORT is not None:  # a worker on a host without an app server to scrape
        start_http_server(settings.WORKER_METRICS_PORT, registry=metrics.scrape_registry(runtime.db, utc_now))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        serve(runtime, stop=stop)
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
