"""Scale-out job worker loop: consume job ids from Redis, reconcile lapsed jobs (started by scripts/worker.py).

Needs JOB_BACKEND=redis, REDIS_URL, and the same MONGODB_URI as the app servers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import dramatiq

from services.core.settings import Settings
from services.jobs.dispatch import PeriodicReconciler
from services.jobs.queue import ACTOR_NAME, QUEUE_NAME, build_broker

log = logging.getLogger(__name__)
ACTOR_TIME_LIMIT_MS = 3 * 60 * 60 * 1000  # longer than any video; our own leases detect stuck work


def serve(
    settings: Settings,
    *,
    run_job: Callable[[str], None],
    reconcile: Callable[[], int],
    worker_id: str,
    stop: threading.Event,
) -> None:
    """Consume job ids from Redis (each run by run_job) and reconcile lapsed jobs until stop is set.

    The caller wires these from its runtime (scripts/worker.py `serve_runtime`), so this package imports no
    composition root.
    """
    broker = build_broker(settings)

    @dramatiq.actor(
        actor_name=ACTOR_NAME, queue_name=QUEUE_NAME, broker=broker, max_retries=0, time_limit=ACTOR_TIME_LIMIT_MS
    )
    def run_generation_job(job_id: str) -> None:
        run_job(job_id)

    worker = dramatiq.Worker(broker, worker_threads=settings.JOB_WORKER_THREADS)
    reconciler = PeriodicReconciler(reconcile, interval=settings.RECONCILE_INTERVAL_SECONDS)
    worker.start()
    reconciler.start()
    log.info("job worker %s consuming %r", worker_id, QUEUE_NAME)
    try:
        stop.wait()
    finally:
        reconciler.stop()
        worker.stop()
        broker.close()
