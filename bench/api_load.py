"""Loopback load test of the REST API's read endpoints, each beside a bare FastAPI route doing the same reads.

Starts an in-memory embedded database and the API (uvicorn, one process) with offline providers, seeds
one user and some workflows, then runs 50 concurrent clients against:
  GET /api/video-workflows/{id}   (JWT check, per-IP limit, ownership, one find_one, public view)
  GET /bare/{id}                  (its baseline: a bare FastAPI route doing the same single pymongo find_one)
  GET /api/video-workflows        (JWT check, per-IP limit, count + one page of 20 summaries)
  GET /bare-list                  (its baseline: a bare FastAPI route doing the same count and page query, same
                                   filter, projection, sort and page, returning the same documents as JSON)
The machine is shared, so its load drifts: the endpoints take turns in --rounds short runs (A, A', B, B', A, ...)
and each figure pools its rounds, so an endpoint and its baseline see the same conditions. Prints p50/p95/p99
latency, requests per second and errors for each, and the ratios to the baselines.

    .venv/bin/python bench/api_load.py [--seconds 20] [--rounds 4] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

import httpx
from _common import ROOT, Figure, in_memory_database, machine_line, percentiles, write_results

from tests.support.network import free_port

PASSWORD = "benchmark password"


def serve(port: int, mongo_uri: str, data_dir: str) -> None:
    """The server process: the API under /api and the bare comparison route under /bare."""
    import uvicorn
    from fastapi import FastAPI
    from pymongo import ASCENDING
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from api.main import create_api
    from services.bootstrap import bootstrap
    from services.core.settings import load_settings
    from services.workflows.list_counts import LIST_COUNTS
    from services.workflows.listing import SUMMARY_PROJECTION, key_range, owner_prefix

    # The per-IP limit would throttle a load test from one address; the benchmark measures the work.
    settings = load_settings(
        _env_file=None,
        MONGODB_URI=mongo_uri,
        DATA_DIR=data_dir,
        RATE_LIMIT_PER_IP="100000000/minute",
        RATE_LIMIT_LOGIN_PER_IP="100000/minute",
    )
    runtime = bootstrap(settings)
    bare = FastAPI()
    collection = runtime.db["video_workflows"]

    @bare.get("/{workflow_id}")
    def read(workflow_id: str) -> dict:
        document = collection.find_one({"_id": workflow_id}) or {}
        document.pop("createdAt", None), document.pop("lastActivity", None)
        return {"id": document.get("_id"), "title": document.get("title"), "status": document.get("status")}

    bare_list = FastAPI()
    user_id = runtime.users.register(username="bench", password=PASSWORD, name="Bench").id
    counters = runtime.db[LIST_COUNTS]

    @bare_list.get("/")
    def page() -> dict:
        # The very queries the API's list sends for this user (see MongoWorkflowRepository._page: the total's counter,
        # and with 20 workflows the whole key range, no activity window), the documents returned as they are.
        key, query = key_range(user_id)
        total = counters.find_one({"_id": owner_prefix(user_id)}, {"live": 1})["live"]
        documents = list(collection.find(query, SUMMARY_PROJECTION).sort(key, ASCENDING).skip(0).limit(20))
        return {"items": documents, "total": total, "page": 1, "pageSize": 20}

    app = Starlette(
        routes=[
            Mount("/api", app=create_api(lambda: runtime)),
            Mount("/bare-list", app=bare_list),
            Mount("/bare", app=bare),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def load(url: str, *, headers: dict[str, str], clients: int, seconds: float) -> dict[str, float]:
    """Run `clients` concurrent loops against url for `seconds`; every latency in ms, the elapsed time, errors."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.get(url)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "seconds": elapsed, "requests": len(latencies), "errors": errors}


def _wait(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the benchmark server exited")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the benchmark server did not start")


BY_ID, LIST = "GET /api/video-workflows/{id}", "GET /api/video-workflows"
BARE, BARE_LIST = "GET /bare/{id} (FastAPI + find_one)", "GET /bare-list (FastAPI + count + page)"
BASELINE = {BY_ID: BARE, LIST: BARE_LIST}
BASELINE_IS = {
    BY_ID: "bare FastAPI route + one pymongo find_one, same process, same rounds",
    LIST: "bare FastAPI route doing the same total + page queries, returning the same documents as JSON; same rounds",
}
WORK = {
    BY_ID: "JWT check, per-IP limit, ownership, public view",
    LIST: "JWT check, per-IP limit, exact count + one page of 20 summaries",
}


def pooled(runs: list[dict]) -> dict[str, float]:
    """One endpoint's rounds together: percentiles over every latency, throughput over the summed time."""
    latencies = [sample for run in runs for sample in run["latencies"]]
    seconds = sum(run["seconds"] for run in runs)
    return {
        **percentiles(latencies),
        "rps": len(latencies) / seconds,
        "requests": len(latencies),
        "errors": sum(run["errors"] for run in runs),
        "rounds_rps": [round(run["requests"] / run["seconds"], 1) for run in runs],
    }


def measure(base: str, workflows: int, *, clients: int, seconds: float, rounds: int) -> dict[str, dict[str, float]]:
    """Sign in, seed workflows, warm each endpoint up, then load them in turns; pooled results by endpoint."""
    token = httpx.post(f"{base}/api/auth/token", json={"username": "bench", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {token['accessToken']}"}
    brief = {"title": "Bench", "initialPrompt": "A product shot", "metadata": {"duration": 5}}
    ids = [httpx.post(f"{base}/api/video-workflows", json=brief, headers=auth).json()["id"] for _ in range(workflows)]
    targets = {
        BY_ID: (f"{base}/api/video-workflows/{ids[0]}", auth),
        BARE: (f"{base}/bare/{ids[0]}", {}),
        LIST: (f"{base}/api/video-workflows", auth),
        BARE_LIST: (f"{base}/bare-list/", {}),
    }
    print(f"{clients} concurrent clients, {rounds} rounds of {seconds / rounds:.1f} s each, loopback, one uvicorn process")
    for url, headers in targets.values():
        asyncio.run(load(url, headers=headers, clients=clients, seconds=2))  # warm-up
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (url, headers) in targets.items():
            runs[name].append(asyncio.run(load(url, headers=headers, clients=clients, seconds=seconds / rounds)))
    print(f"{'endpoint':44} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'requests':>9} {'errors':>7}  per round")
    results = {}
    for name in targets:
        results[name] = r = pooled(runs[name])
        print(
            f"{name:44} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} {r['rps']:8.0f} {r['requests']:9d} "
            f"{r['errors']:7d}  {r['rounds_rps']}"
        )
    return results


def figures_of(results: dict[str, dict[str, float]], clients: int) -> list[Figure]:
    """Throughput and p99 of each API endpoint beside its own baseline's, with the issue's targets."""
    figures = []
    for name in (BY_ID, LIST):
        ours, bare = results[name], results[BASELINE[name]]
        errors = f"errors {ours['errors']} of {ours['requests']:.0f} requests"
        floor = 0.90 if name == BY_ID else 0.80
        figures += [
            Figure(
                f"{name}, {clients} clients: throughput",
                ours["rps"],
                "req/s",
                baseline=bare["rps"],
                baseline_is=BASELINE_IS[name],
                target=f">= {floor:.2f} x the baseline",
                notes=f"{WORK[name]}; req/s per round {ours['rounds_rps']} vs {bare['rounds_rps']}",
            ),
            Figure(
                f"{name}, {clients} clients: p99 latency",
                ours["p99"],
                "ms",
                baseline=bare["p99"],
                baseline_is="the same baseline",
                target="<= 1.2 x the baseline's p99",
                notes=f"p50 {ours['p50']:.0f} / p95 {ours['p95']:.0f} ms (baseline p50 {bare['p50']:.0f} / p95 "
                f"{bare['p95']:.0f}); {errors}",
            ),
        ]
    return figures


def main() -> None:
    """Start database and server, seed, measure, print."""
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="turns each endpoint takes")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--workflows", type=int, default=20, help="workflows to seed")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "MONGO_URI", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return
    with in_memory_database() as mongo_uri, tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), mongo_uri, scratch],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(f"{base}/api/ready", server)
            results = measure(base, args.workflows, clients=args.clients, seconds=args.seconds, rounds=args.rounds)
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(machine_line())
    for name in (BY_ID, LIST):
        ours, bare = results[name], results[BASELINE[name]]
        print(
            f"ratio {name} / its baseline: throughput x{ours['rps'] / bare['rps']:.2f}, p99 x{ours['p99'] / bare['p99']:.2f}"
        )
    parameters = {name: value for name, value in vars(args).items() if name != "serve"}
    details = {name: {k: v for k, v in r.items()} for name, r in results.items()}
    write_results("api_load", figures_of(results, args.clients), started=started, parameters=parameters, details=details)


if __name__ == "__main__":
    main()
