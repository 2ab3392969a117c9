"""Scale-out mode: job ids travel to worker processes through Dramatiq on Redis.

Dramatiq's Redis broker acknowledges a message only after the actor returns, and re-enqueues the
unacknowledged messages of a worker whose heartbeat stopped: at-least-once delivery with
dead-worker recovery. A second delivery is harmless, because running a job starts with an atomic
claim in MongoDB, and a lost message is harmless, because every worker's reconciler claims queued
and lapsed jobs straight from the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import dramatiq.errors
import redis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from services.core.errors import ConfigurationError
from services.core.settings import Settings
from services.jobs.store import Job

log = logging.getLogger(__name__)
QUEUE_NAME = "generation"
ACTOR_NAME = "run_generation_job"


def build_broker(settings: Settings) -> RedisBroker:
    """The Redis broker at REDIS_URL, with the configured dead-worker timeout."""
    if settings.REDIS_URL is None:
        raise ConfigurationError("JOB_BACKEND=redis needs REDIS_URL (for example redis://localhost:6379/0).")
    broker = RedisBroker(
        url=settings.REDIS_URL.get_secret_value(), heartbeat_timeout=int(settings.JOB_QUEUE_HEARTBEAT_TIMEOUT_SECONDS * 1000)
    )
    broker.declare_queue(QUEUE_NAME)
    return broker


ENQUEUE_WAITS = (0.1, 0.3)  # short: the request waits for these; the reconciler covers the rest


class RedisJobQueue:
    """The app side: enqueue a recorded job's id for the workers."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.broker = build_broker(settings)
        self.sleep = sleep

    def submit(self, job: Job) -> None:
        """Send the job id; the worker that receives it claims the job in MongoDB.

        The job is already recorded in MongoDB, so a Redis outage must not refuse the request: the enqueue is
        retried briefly, and if Redis is still down the job waits in the database, where every worker's
        reconciler claims queued jobs whose message never arrived.
        """
        message: Message = Message(queue_name=QUEUE_NAME, actor_name=ACTOR_NAME, args=(job.id,), kwargs={}, options={})
        for wait in (*ENQUEUE_WAITS, None):
            try:
                self.broker.enqueue(message)
                return
            except (redis.RedisError, dramatiq.errors.BrokerConnectionError) as exc:
                if wait is None:
                    log.warning("Redis refused job %s (%s); a worker's reconciler will claim it", job.id, exc)
                    return
                self.sleep(wait)
