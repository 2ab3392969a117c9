"""Job throughput and per-job overhead in embedded and redis mode, and webhook ingestion rate.

The provider is a scripted remote one that answers at once, so the figures are our own overhead:
queueing, claiming, heartbeats, MongoDB writes and media storage. Uses a real embedded database
and a real redis-server on loopback, both started here and stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import redis
from _common import machine_line
from pydantic import SecretStr

from services.embedded_db import IN_MEMORY, EmbeddedDatabase
from services.runtime import build_dispatcher, start_runtime
from services.settings import Settings
from services.webhook_inbox import WebhookInbox
from services.webhook_signing import sign
from services.workflow_service import NewWorkflow, utc_now
from tests.conftest import free_port
from tests.scripted_predictions import MongoScriptedPredictions, registry_with
from tests.worker_processes import Workers, wait_for

USER = "bench"


def start_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    wait_for(lambda: True if _pings(url) else None, timeout=20, every=0.05)
    return server, url


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.ConnectionError:
        return False


def measure(runtime, *, jobs: int) -> tuple[float, float]:
    """(jobs per second with all queued at once, median seconds of one job end to end when alone)."""
    service = runtime.service
    ready = []
    for number in range(jobs):
        workflow = service.create_workflow(user_id=USER, brief=NewWorkflow(title=f"Bench {number}",
                                                                           initial_prompt="A bench run"))
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
        ready.append(workflow.id)
    started = time.perf_counter()
    job_ids = [service.generate_frames(user_id=USER, workflow_id=wid, frame_count=1).active_job_id for wid in ready]
    wait_for(lambda: True if runtime.db["jobs"].count_documents(
        {"_id": {"$in": job_ids}, "status": "SUCCEEDED"}) == jobs else None, timeout=600, every=0.01)
    throughput = jobs / (time.perf_counter() - started)

    singles = []
    for _ in range(10):
        workflow = service.create_workflow(user_id=USER, brief=NewWorkflow(title="Alone", initial_prompt="One job"))
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
        started = time.perf_counter()
        job_id = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=1).active_job_id
        wait_for(lambda jid=job_id: True if runtime.db["jobs"].find_one(
            {"_id": jid, "status": "SUCCEEDED"}) else None, timeout=60, every=0.005)
        singles.append(time.perf_counter() - started)
    return throughput, statistics.median(singles)


def webhook_rate(runtime, *, events: int) -> float:
    """Signed, distinct webhook deliveries ingested per second."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    inbox = WebhookInbox(runtime.db, secret=secret, capture=lambda pid, urls: f"captured/{pid}", clock=utc_now,
                         now_seconds=time.time)
    deliveries = []
    now = int(time.time())
    for number in range(events):
        body = json.dumps({"id": f"p{number}", "status": "succeeded", "output": ["https://replicate.delivery/x.png"]})
        signature = sign(secret=secret, message_id=f"m{number}", timestamp=now, body=body.encode())
        deliveries.append(({"webhook-id": f"m{number}", "webhook-timestamp": str(now),
                            "webhook-signature": signature}, body.encode()))
    started = time.perf_counter()
    for headers, body in deliveries:
        inbox.receive(headers, body)
    return events / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    database = EmbeddedDatabase(storage_path=IN_MEMORY, port=free_port())
    uri = database.start()
    redis_server, redis_url = start_redis()
    results = {}
    try:
        with tempfile.TemporaryDirectory() as data:
            for backend in ("embedded", "redis"):
                settings = Settings(_env_file=None, MONGODB_URI=uri, MONGODB_DATABASE=f"bench_{backend}",  # type: ignore[call-arg]
                                    DATA_DIR=Path(data), JOB_BACKEND=backend, REDIS_URL=SecretStr(redis_url),
                                    RECONCILE_INTERVAL_SECONDS=0.5)
                runtime = start_runtime(settings)
                runtime.service.models = registry_with(MongoScriptedPredictions(runtime.db, seconds=0))
                runtime.service.dispatcher = build_dispatcher(settings, runtime.service)
                workers = None
                if backend == "embedded":
                    runtime.start_background()
                else:
                    workers = Workers(uri, runtime.db, Path(data) / "workers", "redis", redis_url,
                                      prediction_seconds=0)
                    workers.spawn()
                    workers.spawn()
                results[backend] = measure(runtime, jobs=args.jobs)
                if backend == "embedded":
                    results["webhooks"] = (webhook_rate(runtime, events=args.events), 0.0)
                if workers:
                    workers.stop()
                runtime.close()
    finally:
        redis_server.terminate()
        database.stop()
    print(machine_line())
    for backend in ("embedded", "redis"):
        throughput, single = results[backend]
        print(f"{backend:>8}: {throughput:6.1f} jobs/s with {args.jobs} queued at once; "
              f"one job alone end to end {single * 1000:6.1f} ms (provider time 0)")
    print(f"webhook ingestion: {results['webhooks'][0]:.0f} signed events/s (verify, dedupe, merge, capture)")


if __name__ == "__main__":
    main()
