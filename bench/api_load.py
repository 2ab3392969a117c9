"""Loopback load test of the REST API's read endpoints, beside a bare FastAPI endpoint doing the same read.

Starts an in-memory embedded database and the API (uvicorn, one process) with offline providers, seeds
one user and some workflows, then runs 50 concurrent clients against, in turn:
  GET /api/video-workflows/{id}   (JWT check, per-IP limit, ownership, one find_one, public view)
  GET /api/video-workflows        (JWT check, per-IP limit, count + one page of 20)
  GET /bare/{id}                  (a bare FastAPI route doing the same single pymongo find_one)
and prints p50/p95/p99 latency, requests per second and errors for each, and the API/bare ratios.

    .venv/bin/python bench/api_load.py [--seconds 15] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.embedded_db import IN_MEMORY, EmbeddedDatabase  # noqa: E402

PASSWORD = "benchmark password"


def serve(port: int, mongo_uri: str, data_dir: str) -> None:
    """The server process: the API under /api and the bare comparison route under /bare."""
    import uvicorn
    from fastapi import FastAPI
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from api.main import create_api
    from services.runtime import start_runtime
    from services.settings import load_settings

    # The per-IP limit would throttle a load test from one address; the benchmark measures the work.
    settings = load_settings(_env_file=None, MONGODB_URI=mongo_uri, DATA_DIR=data_dir,
                             RATE_LIMIT_PER_IP="100000000/minute", RATE_LIMIT_LOGIN_PER_IP="100000/minute")
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
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "rps": len(latencies) / elapsed,
            "requests": len(latencies), "errors": errors}


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


def main() -> None:
    """Start database and server, seed, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of each measured run")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--workflows", type=int, default=20, help="workflows to seed")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "MONGO_URI", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return

    from tests.conftest import free_port

    with tempfile.TemporaryDirectory() as scratch:
        database = EmbeddedDatabase(storage_path=IN_MEMORY, port=free_port(), log_path=Path(scratch) / "db.log")
        mongo_uri = database.start()
        port = free_port()
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), mongo_uri, scratch], cwd=ROOT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(f"{base}/api/health", server)
            token = httpx.post(f"{base}/api/auth/token", json={"username": "bench", "password": PASSWORD}).json()
            auth = {"Authorization": f"Bearer {token['accessToken']}"}
            brief = {"title": "Bench", "initialPrompt": "A product shot", "metadata": {"duration": 5}}
            ids = [httpx.post(f"{base}/api/video-workflows", json=brief, headers=auth).json()["id"]
                   for _ in range(args.workflows)]
            targets = {
                "GET /api/video-workflows/{id}": (f"{base}/api/video-workflows/{ids[0]}", auth),
                "GET /api/video-workflows": (f"{base}/api/video-workflows", auth),
                "GET /bare/{id} (FastAPI + find_one)": (f"{base}/bare/{ids[0]}", {}),
            }
            print(f"{args.clients} concurrent clients, {args.seconds:.0f} s each, loopback, one uvicorn process")
            print(f"{'endpoint':40} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'requests':>9} {'errors':>7}")
            results = {}
            for name, (url, headers) in targets.items():
                asyncio.run(load(url, headers=headers, clients=args.clients, seconds=2))  # warm-up
                results[name] = r = asyncio.run(load(url, headers=headers, clients=args.clients, seconds=args.seconds))
                print(f"{name:40} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} {r['rps']:8.0f} "
                      f"{r['requests']:9d} {r['errors']:7d}")
            bare = results["GET /bare/{id} (FastAPI + find_one)"]
            for name in list(results)[:2]:
                print(f"ratio {name} / bare: p95 x{results[name]['p95'] / bare['p95']:.2f}, "
                      f"throughput x{results[name]['rps'] / bare['rps']:.2f}")
        finally:
            server.terminate()
            server.wait(timeout=20)
            database.stop()


if __name__ == "__main__":
    main()
