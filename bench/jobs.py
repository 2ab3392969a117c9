"""Job throughput and per-job overhead in embedded and redis mode, and webhook ingestion rate.

The provider is a scripted remote one that answers at once, so the figures are our own overhead:
queueing, claiming, heartbeats, MongoDB writes and media storage. Uses a real embedded database
and a real redis-server on loopback, both started here and stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import redis
from _common import Figure, bench_runtime, in_memory_database, machine_line, write_results
from pydantic import SecretStr

from services.bootstrap import build_dispatcher
from services.core.clock import utc_now
from services.webhooks.inbox import WebhookInbox
from services.webhooks.signing import sign
from services.workflows.service import NewWorkflow
from tests.conftest import free_port
from tests.scripted_predictions import MongoScriptedPredictions, registry_with
from tests.worker_processes import Workers, wait_for

USER = "bench"


def start_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
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
        workflow = service.create_workflow(
            user_id=USER, brief=NewWorkflow(title=f"Bench {number}", initial_prompt="A bench run")
        )
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
        ready.append(workflow.id)
    started = time.perf_counter()
    job_ids = [service.generate_frames(user_id=USER, workflow_id=wid, frame_count=1).active_job_id for wid in ready]
    wait_for(
        lambda: (
            True if runtime.db["jobs"].count_documents({"_id": {"$in": job_ids}, "status": "SUCCEEDED"}) == jobs else None
        ),
        timeout=600,
        every=0.01,
    )
    throughput = jobs / (time.perf_counter() - started)

    singles = []
    for _ in range(10):
        workflow = service.create_workflow(user_id=USER, brief=NewWorkflow(title="Alone", initial_prompt="One job"))
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
        started = time.perf_counter()
        job_id = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=1).active_job_id
        wait_for(
            lambda jid=job_id: True if runtime.db["jobs"].find_one({"_id": jid, "status": "SUCCEEDED"}) else None,
            timeout=60,
            every=0.005,
        )
        singles.append(time.perf_counter() - started)
    return throughput, statistics.median(singles)


WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks test vector's key


def signed_deliveries(events: int) -> list[tuple[dict[str, str], bytes]]:
    """Distinct Replicate 'succeeded' callbacks, each with its Standard Webhooks headers."""
    deliveries = []
    now = int(time.time())
    for number in range(events):
        body = json.dumps({"id": f"p{number}", "status": "succeeded", "output": ["https://replicate.delivery/x.png"]})
        signature = sign(secret=WEBHOOK_SECRET, message_id=f"m{number}", timestamp=now, body=body.encode())
        deliveries.append(
            ({"webhook-id": f"m{number}", "webhook-timestamp": str(now), "webhook-signature": signature}, body.encode())
        )
    return deliveries


def webhook_rate(runtime, deliveries: list[tuple[dict[str, str], bytes]]) -> float:
    """Signed, distinct webhook deliveries ingested per second by the app's inbox."""
    inbox = WebhookInbox(
        runtime.db, secret=WEBHOOK_SECRET, capture=lambda pid, urls: f"captured/{pid}", clock=utc_now, now_seconds=time.time
    )
    started = time.perf_counter()
    for headers, body in deliveries:
        inbox.receive(headers, body)
    return len(deliveries) / (time.perf_counter() - started)


def raw_insert_rate(runtime, deliveries: list[tuple[dict[str, str], bytes]]) -> float:
    """The floor for the same events: one unverified insert_one each into the same database."""
    collection = runtime.db["bench_raw_webhook_events"]
    started = time.perf_counter()
    for headers, body in deliveries:
        collection.insert_one({"_id": headers["webhook-id"], "event": json.loads(body)})
    return len(deliveries) / (time.perf_counter() - started)


def run_backend(uri: str, data: Path, backend: str, redis_url: str | None, args) -> tuple[float, float, float]:
    """(jobs/s, one job's seconds, webhook events/s or 0) on one job backend, on its own database."""
    runtime = bench_runtime(
        uri,
        data,
        MONGODB_DATABASE=f"bench_{backend}",
        JOB_BACKEND=backend,
        REDIS_URL=SecretStr(redis_url) if redis_url else None,
        RECONCILE_INTERVAL_SECONDS=0.5,
    )
    runtime.service.models = registry_with(MongoScriptedPredictions(runtime.db, seconds=0))
    runtime.service.dispatcher = build_dispatcher(runtime.settings, runtime.service)
    workers = None
    try:
        if backend == "embedded":
            runtime.start_background()
        else:
            assert redis_url is not None
            workers = Workers(uri, runtime.db, data / "workers", "redis", redis_url, prediction_seconds=0)
            workers.spawn()
            workers.spawn()
        throughput, single = measure(runtime, jobs=args.jobs)
        webhooks = webhook_rate(runtime, signed_deliveries(args.events)) if backend == "embedded" else 0.0
        return throughput, single, webhooks
    finally:
        if workers:
            workers.stop()
        runtime.close()


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    has_redis = shutil.which("redis-server") is not None
    results = {}
    with in_memory_database() as uri, tempfile.TemporaryDirectory() as data:
        redis_server, redis_url = start_redis() if has_redis else (None, None)
        try:
            for backend in ("embedded", "redis") if has_redis else ("embedded",):
                results[backend] = run_backend(uri, Path(data), backend, redis_url, args)
            baseline_runtime = bench_runtime(uri, Path(data), MONGODB_DATABASE="bench_raw")
            raw_rate = raw_insert_rate(baseline_runtime, signed_deliveries(args.events))
            baseline_runtime.close()
        finally:
            if redis_server:
                redis_server.terminate()
                redis_server.wait(timeout=10)
    print(machine_line())
    figures = []
    for backend, (throughput, single, _) in results.items():
        print(
            f"{backend:>8}: {throughput:6.1f} jobs/s with {args.jobs} queued at once; "
            f"one job alone end to end {single * 1000:6.1f} ms (provider time 0)"
        )
        figures.append(
            Figure(
                f"Job throughput, {backend} mode, {args.jobs} one-frame jobs queued at once",
                throughput,
                "jobs/s",
                notes=f"one job alone end to end {single * 1000:.0f} ms (provider answers at once: our own overhead)",
            )
        )
    if not has_redis:
        print("   redis: skipped (no redis-server; make system-deps installs it)")
    webhooks = results["embedded"][2]
    print(
        f"webhook ingestion: {webhooks:.0f} signed events/s (verify, record deduplicated, merge); "
        f"raw insert_one of the same events: {raw_rate:.0f} events/s"
    )
    figures.append(
        Figure(
            "Webhook ingestion, signed Replicate deliveries",
            webhooks,
            "events/s",
            baseline=raw_rate,
            baseline_is="one plain insert_one per event into the same database",
            notes="verify the signature, record the event (deduplicated by webhook-id), "
            "merge the status into the prediction's record; one delivery at a time",
        )
    )
    write_results("jobs", figures, started=started, parameters=vars(args))


if __name__ == "__main__":
    main()
