"""Scale-out mode: job ids travel to worker processes through Dramatiq on Redis.

Dramatiq's Redis broker acknowledges a message only after the actor returns, and re-enqueues the
unacknowledged messages of a worker whose heartbeat stopped: at-least-once delivery with
dead-worker recovery. A second delivery is harmless, because running a job starts with an atomic
claim in MongoDB, and a lost message is harmless, because every worker's reconciler claims queued
and lapsed jobs straight from the database.
"""

from __future__ import annotations

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from services.core.errors import ConfigurationError
from services.core.settings import Settings
from services.jobs.store import Job

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


class RedisJobQueue:
    """The app side: enqueue a recorded job's id for the workers."""

    def __init__(self, settings: Settings) -> None:
        self.broker = build_broker(settings)

    def submit(self, job: Job) -> None:
        """Send the job id; the worker that receives it claims the job in MongoDB."""
        self.broker.enqueue(Message(queue_name=QUEUE_NAME, actor_name=ACTOR_NAME, args=(job.id,), kwargs={}, options={}))
