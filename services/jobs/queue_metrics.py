"""Prometheus gauges of the job queue, read from the jobs collection at scrape time (see services/core/metrics.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pymongo.database import Database

from services.core.metrics import PREFIX
from services.jobs.store import JOBS, JobStatus


class JobQueueCollector(Collector):
    """Queue depth and the age of the oldest waiting job, from the jobs collection at scrape time."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(f"{PREFIX}_job_queue_depth", "Generation jobs waiting or running.", labels=["status"])
        age = GaugeMetricFamily(
            f"{PREFIX}_job_queue_oldest_age_seconds",
            "Age of the oldest generation job still waiting or running.",
            labels=["status"],
        )
        now = self.clock()
        for status in (JobStatus.QUEUED, JobStatus.RUNNING):
            jobs = self.db[JOBS]
            count = jobs.count_documents({"status": status.value})
            oldest = jobs.find_one({"status": status.value}, {"createdAt": 1}, sort=[("createdAt", 1)])
            depth.add_metric([status.value.lower()], count)
            age.add_metric([status.value.lower()], max(0.0, (now - oldest["createdAt"]).total_seconds()) if oldest else 0.0)
        yield depth
        yield age
