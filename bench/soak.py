"""Resident memory over a loopback soak: the app started the README's way under a steady mixed REST load.

Starts `streamlit run app.py` on a free loopback port with a temporary DATA_DIR (so its own embedded
SecantusDB on disk, offline providers, no keys), signs in a few users, and has one client per user go
through whole workflows for --seconds (default SOAK_SECONDS or 600): create, refine twice, generate frames
(202, then poll the job), download a frame, review with one rejection, regenerate it, approve, generate the
video, download it, list, get, and hard-delete the workflow made a few rounds earlier (so disk use stays
bounded). The per-user and per-key rate limits are raised for the run: the spec's 1 video/hour would
otherwise turn the soak into a stream of 429s. Every 5 s it samples the resident memory (RSS) of the app
server process and, separately, of its embedded database child. Stops by itself; stops the app (and its
database) on exit, Ctrl-C included.

    SOAK_SECONDS=60 .venv/bin/python bench/soak.py [--seconds N] [--clients 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
from _common import ROOT, Figure, machine_line, write_results
from pymongo import MongoClient
from pymongo.database import Database

from services.accounts.users import UserService
from services.core.clock import utc_now
from services.storage.embedded_db import DEFAULT_CACHE_SIZE
from tests.support.app_process import stop_app, wait_until_ready
from tests.support.network import free_port

PASSWORD = "soak test password"
UNLIMITED = "1000000/minute"
CLEARED_ENV = (
    "MONGODB_URI",
    "MONGODB_DATABASE",
    "POE_API_KEY",
    "REPLICATE_API_KEY",
    "JOB_BACKEND",
    "REDIS_URL",
    "PUBLIC_BASE_URL",
    "REPLICATE_WEBHOOK_SECRET",
)  # the README's defaults: embedded database, offline
APP_DATABASE = "video_workflow_studio"
KEEP_PER_USER = 5  # workflows a client keeps before hard-deleting its oldest
BRIEF = {
    "title": "Soak",
    "initialPrompt": "A cyclist crosses a bridge at sunrise",
    "metadata": {"duration": 4, "tone": "Calm", "style": "Film grain", "aspectRatio": "16:9"},
}


class CycleFailed(Exception):
    """A request in a workflow round answered other than expected; the client starts a new round."""


@contextlib.contextmanager
def running_app(data_dir: Path) -> Iterator[tuple[str, psutil.Process, psutil.Process, int]]:
    """`streamlit run app.py` on loopback, offline providers; yields (origin, server, its database, database port)."""
    port, db_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if name not in CLEARED_ENV}
    env.update(
        DATA_DIR=str(data_dir),
        EMBEDDED_DB_PORT=str(db_port),
        RATE_LIMIT_REFINEMENT=UNLIMITED,
        RATE_LIMIT_FRAMES=UNLIMITED,
        RATE_LIMIT_VIDEO=UNLIMITED,
        RATE_LIMIT_PER_IP=UNLIMITED,
        RATE_LIMIT_LOGIN_PER_IP=UNLIMITED,
    )
    data_dir.mkdir(parents=True)
    log_path = data_dir / "app.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "streamlit"),
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    origin = f"http://127.0.0.1:{port}"
    database: psutil.Process | None = None
    try:
        wait_until_ready(origin, process, log_path)
        database = next(p for p in psutil.Process(process.pid).children(recursive=True) if "secantus" in p.name())
        yield origin, psutil.Process(process.pid), database, db_port
    finally:
        _stop(process, database)


def refuse_dotenv_overrides() -> None:
    """The app also reads ROOT/.env, which the cleared environment cannot override: refuse one that sets keys."""
    dotenv = ROOT / ".env"
    lines = dotenv.read_text().splitlines() if dotenv.exists() else []
    if found := sorted({name for name in CLEARED_ENV for line in lines if line.strip().startswith(f"{name}=")}):
        raise SystemExit(
            f"{dotenv} sets {', '.join(found)}: the soak runs the README's defaults (embedded database, "
            "offline providers, no keys). Move the file aside for the run."
        )


def _stop(process: subprocess.Popen, database: psutil.Process | None) -> None:
    """Stop the app (its lifespan stops its database); a database left behind by a hung app is stopped by its id."""
    stop_app(process)
    if database is not None and database.is_running():
        database.terminate()
        with contextlib.suppress(psutil.TimeoutExpired):
            database.wait(timeout=10)
        if database.is_running():
            database.kill()


class LoadClient:
    """One signed-in user going through workflows; counts every request and every unexpected answer."""

    def __init__(self, origin: str, username: str, tally: Counter, lock: threading.Lock, pause: float) -> None:
        self.http = httpx.Client(base_url=f"{origin}/api", timeout=120)
        self.tally, self.lock, self.pause = tally, lock, pause
        self.kept: deque[str] = deque()
        tokens = self.call("POST", "/auth/token", 200, json={"username": username, "password": PASSWORD}).json()
        self.refresh_token = tokens["refreshToken"]
        self.http.headers["Authorization"] = f"Bearer {tokens['accessToken']}"

    def call(self, method: str, path: str, expected: int, **kwargs: object) -> httpx.Response:
        """One request; anything but the expected status (or a transport error) is an error and ends the round."""
        time.sleep(self.pause)  # a client that reads what it got, so the load is steady rather than flat out
        try:
            response = self.http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as error:
            self._count(error=type(error).__name__)
            raise CycleFailed(str(error)) from error
        self._count(error=None if response.status_code == expected else f"HTTP {response.status_code}")
        if response.status_code != expected:
            raise CycleFailed(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def _count(self, *, error: str | None) -> None:
        with self.lock:
            self.tally["requests"] += 1
            if error:
                self.tally["errors"] += 1
                self.tally[error] += 1

    def follow_job(self, steps: str) -> None:
        """Poll the workflow's job until it has finished; a failed job is an error."""
        while (job := self.call("GET", f"{steps}/job", 200).json())["status"] in ("QUEUED", "RUNNING"):
            time.sleep(0.2)
        if job["status"] != "SUCCEEDED":
            self._count(error=f"job {job['status']}")
            raise CycleFailed(f"job {job['status']}: {job.get('error')}")

    def round(self) -> None:
        """One whole workflow through the API, then list, get and tidy up."""
        workflow = self.call("POST", "/video-workflows", 201, json=BRIEF).json()
        steps = f"/video-workflows/{workflow['id']}"
        self.call("POST", f"{steps}/refine-prompt", 200, json={})
        self.call("POST", f"{steps}/refine-prompt", 200, json={"additionalInfo": "Slower, more golden light"})
        self.call("POST", f"{steps}/generate-frames", 202, json={"frameCount": 3})
        self.follow_job(steps)
        frames = self.call("GET", steps, 200).json()["generatedFrames"]
        self.call("GET", frames[0]["imageUrl"].removeprefix("/api"), 200)
        numbers = [frame["frameNumber"] for frame in frames]  # the API's own numbering
        second = numbers[1]
        reviews = [
            {"frameNumber": n, "approved": n != second, **({"feedback": "Warmer"} if n == second else {})} for n in numbers
        ]
        self.call("POST", f"{steps}/review-frames", 200, json={"frameReviews": reviews})
        self.call("POST", f"{steps}/regenerate-frames", 202, json={"frameNumbers": [second]})
        self.follow_job(steps)
        self.call("POST", f"{steps}/review-frames", 200, json={"frameReviews": [{"frameNumber": second, "approved": True}]})
        self.call("POST", f"{steps}/generate-video", 202, json={"duration": 4, "fps": 12})
        self.follow_job(steps)
        video = self.call("GET", steps, 200).json()["videoOutput"]
        self.call("GET", video["videoUrl"].removeprefix("/api"), 200)
        self.call("GET", "/video-workflows?pageSize=20", 200)
        self.kept.append(workflow["id"])
        if len(self.kept) > KEEP_PER_USER:
            self.call("DELETE", f"/video-workflows/{self.kept.popleft()}?hard=true", 204)

    def refresh(self) -> None:
        """Rotate the refresh token, as a long-lived client does before its access token lapses."""
        tokens = self.call("POST", "/auth/refresh", 200, json={"refreshToken": self.refresh_token}).json()
        self.refresh_token = tokens["refreshToken"]
        self.http.headers["Authorization"] = f"Bearer {tokens['accessToken']}"


def drive(client: LoadClient, deadline: float, tally: Counter, lock: threading.Lock) -> None:
    """Rounds until the deadline; a failed round is counted and the next one starts."""
    rounds = 0
    while time.monotonic() < deadline:
        try:
            client.round()
            rounds += 1
            if rounds % 10 == 0:
                client.refresh()
        except CycleFailed:
            time.sleep(1)  # the app may be briefly overloaded; do not hammer it
        with lock:
            tally["rounds"] += 1


def sample_memory(
    server: psutil.Process,
    database: psutil.Process,
    stop: threading.Event,
    every: float,
    started: float,
    samples: list[dict],
) -> None:
    """Append the RSS in MB of the app server and of its embedded database every `every` seconds until stop is set."""
    while True:
        samples.append(
            {
                "t": time.monotonic() - started,
                "app_mb": server.memory_info().rss / 2**20,
                "db_mb": database.memory_info().rss / 2**20,
            }
        )
        if stop.wait(every):
            return


def growth(samples: list[dict], key: str, warmup: float) -> dict[str, float]:
    """RSS after warm-up, at the end, growth in MB and %, and the least-squares slope after warm-up in MB/hour."""
    settled = [s for s in samples if s["t"] >= warmup]
    start, end = settled[0][key], settled[-1][key]
    slope = (
        statistics.linear_regression([s["t"] for s in settled], [s[key] for s in settled]).slope if len(settled) > 1 else 0.0
    )
    return {
        "after_warmup_mb": start,
        "end_mb": end,
        "growth_mb": end - start,
        "growth_percent": (end - start) / start * 100,
        "mb_per_hour": slope * 3600,
    }


def second_half_growth(samples: list[dict], key: str) -> float:
    """Growth in % from the first sample of the run's second half to the last one (a plateau shows as ~0)."""
    middle = samples[-1]["t"] / 2
    half = [s for s in samples if s["t"] >= middle]
    return (half[-1][key] - half[0][key]) / half[0][key] * 100 if len(half) > 1 else 0.0


def cache_megabytes() -> float:
    """The embedded database's cache size the app was given (EMBEDDED_DB_CACHE_SIZE or its default), in MB."""
    text = os.environ.get("EMBEDDED_DB_CACHE_SIZE", DEFAULT_CACHE_SIZE)
    return float(text[:-1]) * {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}[text[-1]]


@contextlib.contextmanager
def app_database(db_port: int) -> Iterator[Database]:
    """The running app's own database, through a client of our own."""
    client: MongoClient = MongoClient(f"mongodb://127.0.0.1:{db_port}/?directConnection=true", tz_aware=True)
    try:
        yield client[APP_DATABASE]
    finally:
        client.close()


def register_users(db_port: int, count: int) -> list[str]:
    """Accounts made straight in the app's database, as scripts/create_user.py would (there is no sign-up route)."""
    with app_database(db_port) as db:
        users = UserService(db, clock=utc_now, bcrypt_rounds=4)
        return [users.register(username=f"soak{n}", password=PASSWORD, name=f"Soak {n}").username for n in range(count)]


def stored(db_port: int) -> dict[str, float]:
    """Documents in the app's database, and MB of data and indexes: what its server's memory holds a cache of."""
    with app_database(db_port) as db:
        stats = db.command("dbStats")
    return {"documents": stats["objects"], "mb": (stats["dataSize"] + stats["indexSize"]) / 2**20}


def soak(args: argparse.Namespace, data_dir: Path) -> tuple[list[dict], Counter, float, dict[str, float]]:
    """Run the load for args.seconds while sampling memory; (samples, tally, seconds run, what the database holds)."""
    tally: Counter = Counter()
    lock = threading.Lock()
    samples: list[dict] = []
    with running_app(data_dir) as (origin, server, database, db_port):
        clients = [LoadClient(origin, name, tally, lock, args.pause) for name in register_users(db_port, args.clients)]
        started = time.monotonic()
        deadline = started + args.seconds
        stop = threading.Event()
        sampler = threading.Thread(
            target=sample_memory, args=(server, database, stop, args.sample_every, started, samples), daemon=True
        )
        sampler.start()
        drivers = [threading.Thread(target=drive, args=(client, deadline, tally, lock), daemon=True) for client in clients]
        for thread in drivers:
            thread.start()
        report_at = 30.0
        while any(thread.is_alive() for thread in drivers):
            time.sleep(1)
            if (elapsed := time.monotonic() - started) >= report_at:
                report_at += 30
                print(
                    f"{elapsed:5.0f} s  requests {tally['requests']}  errors {tally['errors']}  "
                    f"app {samples[-1]['app_mb']:.0f} MB  database {samples[-1]['db_mb']:.0f} MB",
                    flush=True,
                )
        stop.set()
        sampler.join()
        return samples, tally, time.monotonic() - started, stored(db_port)


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    parser.add_argument("--clients", type=int, default=3, help="signed-in users, one client thread each")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds a client waits before each request")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between RSS samples")
    args = parser.parse_args()
    # The app is stopped on kill as on Ctrl-C, even when started in the background (where SIGINT is ignored).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    refuse_dotenv_overrides()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            samples, tally, ran, held = soak(args, Path(scratch) / "data")
    except KeyboardInterrupt:
        raise SystemExit("soak interrupted: the app and its database were stopped, nothing was written") from None
    warmup = min(60.0, args.seconds / 5)
    app, db = growth(samples, "app_mb", warmup), growth(samples, "db_mb", warmup)
    minutes = f"{ran / 60:.0f}-minute" if ran >= 120 else f"{ran:.0f}-second"
    which = (
        "the full soak (SOAK_SECONDS=1800)"
        if ran >= 1700
        else "make bench's shorter soak; SOAK_SECONDS=1800 runs the full one"
    )
    app_half, db_half = second_half_growth(samples, "app_mb"), second_half_growth(samples, "db_mb")
    ceiling = cache_megabytes() + 150
    db_ok = max(s["db_mb"] for s in samples) < ceiling and db_half < 5
    app_ok = app["growth_percent"] < 10 and tally["errors"] == 0
    load = (
        f"{tally['requests']} requests ({tally['requests'] / ran:.1f}/s), {tally['errors']} errors, "
        f"{tally['rounds']} workflow rounds by {args.clients} clients"
    )
    print(machine_line())
    print(load)
    for name, figures in (("app server", app), ("embedded database", db)):
        print(
            f"{name:>17}: RSS {figures['after_warmup_mb']:.0f} MB after {warmup:.0f} s warm-up -> "
            f"{figures['end_mb']:.0f} MB at the end ({figures['growth_mb']:+.1f} MB, {figures['growth_percent']:+.1f}%); "
            f"trend {figures['mb_per_hour']:+.0f} MB/hour"
        )
    errors = {name: count for name, count in tally.items() if name not in ("requests", "errors", "rounds")}
    write_results(
        "soak",
        [
            Figure(
                f"App server RSS at the end of a {minutes} loopback soak",
                app["end_mb"],
                "MB",
                baseline=app["after_warmup_mb"],
                baseline_is=f"its RSS after {warmup:.0f} s of warm-up",
                target="growth < 10% over a 30-minute soak, 0 errors",
                notes=f"{'met' if app_ok else 'NOT met'} in this run ({which}); {app['growth_mb']:+.1f} MB "
                f"({app['growth_percent']:+.1f}%), {app_half:+.1f}% over the second half, trend {app['mb_per_hour']:+.0f} "
                f"MB/hour; {load}",
            ),
            Figure(
                "Embedded database RSS at the end of the same soak",
                db["end_mb"],
                "MB",
                baseline=db["after_warmup_mb"],
                baseline_is=f"its RSS after {warmup:.0f} s of warm-up",
                target=f"under the cache size + 150 MB ({ceiling:.0f} MB) throughout, < 5% growth over the second half",
                notes=f"{'met' if db_ok else 'NOT met'} in this run ({which}): peak {max(s['db_mb'] for s in samples):.0f} "
                f"MB, {db_half:+.1f}% over the second half; {db['growth_mb']:+.1f} MB ({db['growth_percent']:+.1f}%) "
                f"after warm-up, trend {db['mb_per_hour']:+.0f} MB/hour; "
                f"a separate process (SecantusDB on WiredTiger, data on disk) holding {held['documents']:,} documents, "
                f"{held['mb']:.1f} MB of data and indexes at the end",
            ),
        ],
        started=started,
        parameters=vars(args),
        details={
            "warmup_seconds": warmup,
            "second_half_growth_percent": {"app": app_half, "database": db_half},
            "database_ceiling_mb": ceiling,
            "seconds_run": ran,
            "app": app,
            "database": db,
            "stored": held,
            "errors_by_kind": errors,
            "samples": samples,
        },
    )


if __name__ == "__main__":
    main()
