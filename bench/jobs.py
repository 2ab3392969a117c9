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

from services.core.clock import utc_now
from services.studio.service import NewWorkflow
from services.webhooks.inbox import WEBHOOK_IDS, WebhookInbox
from services.webhooks.signing import sign
from tests.support.network import free_port
from tests.support.scripted_predictions import MongoScriptedPredictions, registry_with
from tests.support.worker_processes import Workers, wait_for

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
    """Distinct Replicate callbacks as Replicate sends them (webhook_events_filter start + completed): for each
    prediction a 'starting' event, and its 'succeeded' event ten deliveries later, each with its own
    Standard Webhooks headers."""
    now = int(time.time())
    order = []
    for number in range(events // 2):
        order.append((number, "starting"))
        if number >= 10:
            order.append((number - 10, "succeeded"))
    order += [(number, "succeeded") for number in range(max(0, events // 2 - 10), events // 2)]
    deliveries = []
    for message, (number, status) in enumerate(order):
        output = ["https://replicate.delivery/x.png"] if status == "succeeded" else None
        body = json.dumps({"id": f"p{number}", "status": status, "output": output}).encode()
        signature = sign(secret=WEBHOOK_SECRET, message_id=f"m{message}", timestamp=now, body=body)
        deliveries.append(
            ({"webhook-id": f"m{message}", "webhook-timestamp": str(now), "webhook-signature": signature}, body)
        )
    return deliveries


def webhook_rates(runtime, deliveries: list[tuple[dict[str, str], bytes]], *, rounds: int) -> dict:
    """Signed, distinct deliveries per second through the app's inbox, and the same events as plain insert_one
    (the floor: no signature, no deduplication, no merge) into the same database, taking turns in `rounds`
    chunks so both see the same machine load. Then every delivery is sent again, and the counts checked:
    each event applied exactly once, the repeats acknowledged as duplicates and changing nothing."""
    inbox = WebhookInbox(
        runtime.db, secret=WEBHOOK_SECRET, capture=lambda pid, urls: f"captured/{pid}", clock=utc_now, now_seconds=time.time
    )
    raw = runtime.db["bench_raw_webhook_events"]
    chunk = -(-len(deliveries) // rounds)
    seconds = {"inbox": 0.0, "insert_one": 0.0}
    for start in range(0, len(deliveries), chunk):
        part = deliveries[start : start + chunk]
        started = time.perf_counter()
        for headers, body in part:
            inbox.receive(headers, body)
        seconds["inbox"] += time.perf_counter() - started
        started = time.perf_counter()
        for headers, body in part:
            raw.insert_one({"_id": headers["webhook-id"], "event": json.loads(body)})
        seconds["insert_one"] += time.perf_counter() - started
    repeats = [inbox.receive(headers, body) for headers, body in deliveries]
    predicted = {json.loads(body)["id"] for _, body in deliveries}
    records = [inbox.prediction(prediction_id) or {WEBHOOK_IDS: [], "status": None} for prediction_id in predicted]
    ids = [webhook_id for record in records for webhook_id in record[WEBHOOK_IDS]]
    duplicates = sum(outcome.duplicate for outcome in repeats)
    return {
        "inbox": len(deliveries) / seconds["inbox"],
        "insert_one": len(deliveries) / seconds["insert_one"],
        "events": len(deliveries),
        "predictions": len(records),
        "applied": len(ids),
        "webhook_ids_recorded": len(set(ids)),
        "ended_succeeded": sum(record["status"] == "succeeded" for record in records),
        "repeats_acknowledged_as_duplicates": duplicates,
        "exactly_once": len(ids) == len(set(ids)) == len(deliveries) == duplicates
        and all(record["status"] == "succeeded" for record in records),
    }


def run_backend(uri: str, data: Path, backend: str, redis_url: str | None, args) -> tuple[float, float]:
    """(jobs/s, one job's seconds) on one job backend, on its own database."""
    runtime = bench_runtime(
        uri,
        data,
        MONGODB_DATABASE=f"bench_{backend}",
        JOB_BACKEND=backend,
        REDIS_URL=SecretStr(redis_url) if redis_url else None,
        RECONCILE_INTERVAL_SECONDS=0.5,
        RATE_LIMIT_EXEMPT_KEYS=USER,  # 40 frame jobs at once by one user: the spec's 10 a minute would refuse most
        models=lambda db: registry_with(MongoScriptedPredictions(db, seconds=0)),
    )
    workers = None
    try:
        if backend == "embedded":
            runtime.start_background()
        else:
            assert redis_url is not None
            workers = Workers(uri, runtime.db, data / "workers", "redis", redis_url, prediction_seconds=0)
            workers.spawn()
            workers.spawn()
        return measure(runtime, jobs=args.jobs)
    finally:
        if workers:
            workers.stop()
        runtime.close()


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4, help="webhook chunks, taking turns with the baseline")
    args = parser.parse_args()
    has_redis = shutil.which("redis-server") is not None
    results = {}
    with in_memory_database() as uri, tempfile.TemporaryDirectory() as data:
        redis_server, redis_url = start_redis() if has_redis else (None, None)
        try:
            for backend in ("embedded", "redis") if has_redis else ("embedded",):
                results[backend] = run_backend(uri, Path(data), backend, redis_url, args)
            webhook_runtime = bench_runtime(uri, Path(data), MONGODB_DATABASE="bench_webhooks")
            webhooks = webhook_rates(webhook_runtime, signed_deliveries(args.events), rounds=args.rounds)
            webhook_runtime.close()
        finally:
            if redis_server:
                redis_server.terminate()
                redis_server.wait(timeout=10)
    print(machine_line())
    figures = []
    for backend, (throughput, single) in results.items():
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
    print(
        f"webhook ingestion: {webhooks['inbox']:.0f} signed events/s (verify, one insert); "
        f"plain insert_one of the same events: {webhooks['insert_one']:.0f} events/s; "
        f"{webhooks['applied']} of {webhooks['events']} applied once, "
        f"{webhooks['repeats_acknowledged_as_duplicates']} repeats acknowledged as duplicates"
    )
    figures.append(
        Figure(
            "Webhook ingestion, signed Replicate deliveries",
            webhooks["inbox"],
            "events/s",
            baseline=webhooks["insert_one"],
            baseline_is="one plain insert_one per event into the same database, in alternating chunks",
            target=">= 0.8 x the baseline; each event applied exactly once",
            notes="verify the signature, one insert of the delivery (deduplicated by the unique _id holding its "
            "webhook-id); "
            f"one delivery at a time; exactly once: {'yes' if webhooks['exactly_once'] else 'NO'} "
            f"({webhooks['applied']} of {webhooks['events']} events applied, {webhooks['webhook_ids_recorded']} "
            f"webhook-ids recorded, {webhooks['repeats_acknowledged_as_duplicates']} redeliveries acknowledged "
            "as duplicates)",
        )
    )
    write_results("jobs", figures, started=started, parameters=vars(args), details={"webhooks": webhooks})


if __name__ == "__main__":
    main()
