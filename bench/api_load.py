"""Loopback load test of the REST API's read endpoints, beside a bare FastAPI endpoint doing the same read.

Starts an in-memory embedded database and the API (uvicorn, one process) with offline providers, seeds
one user and some workflows, then runs 50 concurrent clients against, in turn:
  GET /api/video-workflows/{id}   (JWT check, per-IP limit, ownership, one find_one, public view)
  GET /api/video-workflows        (JWT check, per-IP limit, count + one page of 20)
  GET /bare/{id}                  (a bare FastAPI route doing the same single pymongo find_one)
and prints p50/p95/p99 latency, requests per second and errors for each, and the API/bare ratios.

    .venv/bin/python bench/api_load.py [--seconds 10] [--clients 50]
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

from tests.conftest import free_port

PASSWORD = "benchmark password"


def serve(port: int, mongo_uri: str, data_dir: str) -> None:
    """The server process: the API under /api and the bare comparison route under /bare."""
    import uvicorn
    from fastapi import FastAPI
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from api.main import create_api
    from services.bootstrap import start_runtime
    from services.core.settings import load_settings

    # The per-IP limit would throttle a load test from one address; the benchmark measures the work.
    settings = load_settings(
        _env_file=None,
        MONGODB_URI=mongo_uri,
        DATA_DIR=data_dir,
        RATE_LIMIT_PER_IP="100000000/minute",
        RATE_LIMIT_LOGIN_PER_IP="100000/minute",
    )
    runtime = start_runtime(settings)
    runtime.users.register(username="bench", password=PASSWORD, name="Bench")
    bare = FastAPI()
    collection = runtime.db["video_workflows"]

    @bare.get("/{workflow_id}")
    def read(workflow_id: str) -> dict:
        document = collection.find_one({"_id": workflow_id}) or {}
        document.pop("createdAt", None), document.pop("lastActivity", None)
        return {"id": document.get("_id"), "title": document.get("title"), "status": document.get("status")}

    app = Starlette(routes=[Mount("/api", app=create_api(lambda: runtime)), Mount("/bare", app=bare)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def load(url: str, *, headers: dict[str, str], clients: int, seconds: float) -> dict[str, float]:
    """Run `clients` concurrent loops against url for `seconds`; latency percentiles in ms and throughput."""
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
    return {**percentiles(latencies), "rps": len(latencies) / elapsed, "requests": len(latencies), "errors": errors}


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


BY_ID, LIST, BARE = "GET /api/video-workflows/{id}", "GET /api/video-workflows", "GET /bare/{id} (FastAPI + find_one)"


def measure(base: str, workflows: int, *, clients: int, seconds: float) -> dict[str, dict[str, float]]:
    """Sign in, seed workflows, then load each endpoint in turn (after a 2 s warm-up); results by endpoint."""
    token = httpx.post(f"{base}/api/auth/token", json={"username": "bench", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {token['accessToken']}"}
    brief = {"title": "Bench", "initialPrompt": "A product shot", "metadata": {"duration": 5}}
    ids = [httpx.post(f"{base}/api/video-workflows", json=brief, headers=auth).json()["id"] for _ in range(workflows)]
    targets = {
        BY_ID: (f"{base}/api/video-workflows/{ids[0]}", auth),
        LIST: (f"{base}/api/video-workflows", auth),
        BARE: (f"{base}/bare/{ids[0]}", {}),
    }
    print(f"{clients} concurrent clients, {seconds:.0f} s each, loopback, one uvicorn process")
    print(f"{'endpoint':40} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'requests':>9} {'errors':>7}")
    results = {}
    for name, (url, headers) in targets.items():
        asyncio.run(load(url, headers=headers, clients=clients, seconds=2))  # warm-up
        results[name] = r = asyncio.run(load(url, headers=headers, clients=clients, seconds=seconds))
        print(
            f"{name:40} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} {r['rps']:8.0f} {r['requests']:9d} {r['errors']:7d}"
        )
    return results


def figures_of(results: dict[str, dict[str, float]], clients: int) -> list[Figure]:
    """p95 and throughput of each API endpoint beside the bare route's."""
    bare = results[BARE]
    figures = []
    for name in (BY_ID, LIST):
        ours = results[name]
        errors = f"errors {ours['errors']} of {ours['requests']:.0f} requests"
        figures += [
            Figure(
                f"{name}, {clients} clients: p95 latency",
                ours["p95"],
                "ms",
                baseline=bare["p95"],
                baseline_is="bare FastAPI route + one pymongo find_one, same process",
                target="p95 < 200 ms, < 1% errors",
                notes=f"p50 {ours['p50']:.0f} / p99 {ours['p99']:.0f} ms (bare p99 {bare['p99']:.0f}); {errors}",
            ),
            Figure(
                f"{name}, {clients} clients: throughput",
                ours["rps"],
                "req/s",
                baseline=bare["rps"],
                baseline_is="the same bare route",
                notes="JWT check, per-IP limit, ownership, public view"
                if name == BY_ID
                else "JWT check, per-IP limit, count + one page of 20",
            ),
        ]
    return figures


def main() -> None:
    """Start database and server, seed, measure, print."""
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measured run")
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
            results = measure(base, args.workflows, clients=args.clients, seconds=args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(machine_line())
    for name in (BY_ID, LIST):
        print(
            f"ratio {name} / bare: p95 x{results[name]['p95'] / results[BARE]['p95']:.2f}, "
            f"throughput x{results[name]['rps'] / results[BARE]['rps']:.2f}"
        )
    parameters = {name: value for name, value in vars(args).items() if name != "serve"}
    write_results("api_load", figures_of(results, args.clients), started=started, parameters=parameters)


if __name__ == "__main__":
    main()
