"""Scale-out job worker loop: consume job ids from Redis, reconcile lapsed jobs (started by scripts/worker.py).

Needs JOB_BACKEND=redis, REDIS_URL, and the same MONGODB_URI as the app servers.
"""

from __future__ import annotations

import logging
import threading

import dramatiq

from services.bootstrap import Runtime
from services.jobs.dispatch import PeriodicReconciler
from services.jobs.queue import ACTOR_NAME, QUEUE_NAME, build_broker

log = logging.getLogger(__name__)
ACTOR_TIME_LIMIT_MS = 3 * 60 * 60 * 1000  # longer than any video; our own leases detect stuck work


def serve(runtime: Runtime, *, stop: threading.Event) -> None:
    """Consume job ids from Redis and reconcile lapsed jobs until stop is set."""
    settings = runtime.settings
    broker = build_broker(settings)

    @dramatiq.actor(
        actor_name=ACTOR_NAME, queue_name=QUEUE_NAME, broker=broker, max_retries=0, time_limit=ACTOR_TIME_LIMIT_MS
    )
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
