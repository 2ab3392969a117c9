"""Scale-out job worker: `python scripts/worker.py` (or `make worker`), one per process or machine.

Needs JOB_BACKEND=redis, REDIS_URL, and the same MONGODB_URI as the app servers.
"""

from __future__ import annotations

import signal
import threading

from prometheus_client import start_http_server

from services.bootstrap import Runtime, bootstrap
from services.core import metrics
from services.core.clock import utc_now
from services.core.log_setup import configure_logging
from services.core.settings import load_settings
from services.jobs.queue_metrics import JobQueueCollector
from services.jobs.worker import serve


def serve_runtime(runtime: Runtime, *, stop: threading.Event) -> None:
    """Consume the Redis queue with the runtime's service until stop is set."""
    service = runtime.service
    serve(
        runtime.settings,
        run_job=service.run_queued_job,
        reconcile=service.reconcile,
        worker_id=service.jobs.worker_id,
        stop=stop,
    )


def main() -> None:
    """Start a worker with the environment's settings; SIGTERM or Ctrl-C stops it after its current jobs."""
    settings = load_settings()
    configure_logging(settings)
    if settings.JOB_BACKEND != "redis":
        raise SystemExit("scripts/worker.py runs scale-out jobs: set JOB_BACKEND=redis and REDIS_URL.")
    runtime = bootstrap(settings)
    if settings.WORKER_METRICS_PORT is not None:  # a worker on a host without an app server to scrape
        start_http_server(
            settings.WORKER_METRICS_PORT, registry=metrics.scrape_registry(JobQueueCollector(runtime.db, utc_now))
        )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        serve_runtime(runtime, stop=stop)
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
