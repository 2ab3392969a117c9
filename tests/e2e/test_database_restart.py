"""The embedded database killed with SIGKILL mid-render comes back by itself; the video still finishes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest
from pymongo import MongoClient

from services.accounts.users import UserService
from services.core.clock import utc_now
from tests.support.browser import APP_DATABASE, running_app
from tests.support.scraped_metrics import scrape

pytestmark = [pytest.mark.timeout(900)]
PASSWORD = "a long secret"
VIDEO_SECONDS = 60


def database_pid(mongo_uri: str) -> int:
    """The SecantusDB child the app started on this port."""
    port = mongo_uri.rsplit(":", 1)[1].split("/")[0]
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if any("secantusd" in part for part in cmdline) and port in cmdline:
            return process.pid
    raise AssertionError(f"no embedded database process on port {port}")


def wait_for(condition, *, timeout: float, every: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def start_a_long_video(api: httpx.Client) -> str:
    """A workflow whose 60-second video is rendering; returns its path."""
    brief = {"title": "Long render", "initialPrompt": "A lighthouse at dusk", "metadata": {"duration": VIDEO_SECONDS}}
    path = "/video-workflows/" + api.post("/video-workflows", json=brief).raise_for_status().json()["id"]
    api.post(f"{path}/refine-prompt", json={}).raise_for_status()
    api.post(f"{path}/generate-frames", json={"frameCount": 2}).raise_for_status()
    frames = wait_for(lambda: (w := api.get(path).json())["status"] != "PROCESSING" and w, timeout=120)
    reviews = [{"frameNumber": f["frameNumber"], "approved": True} for f in frames["generatedFrames"]]
    api.post(f"{path}/review-frames", json={"frameReviews": reviews}).raise_for_status()
    api.post(f"{path}/generate-video", json={"duration": VIDEO_SECONDS, "fps": 24}).raise_for_status()
    wait_for(lambda: api.get(f"{path}/job").json()["progress"]["percent"] > 0, timeout=120)
    return path


def kill_and_watch_the_outage(app_url: str, api: httpx.Client, mongo_uri: str) -> list[tuple[int, float]]:
    """SIGKILL the database; every API call meanwhile answers within 1 s; /api/ready is back within 10 s."""
    os.kill(database_pid(mongo_uri), signal.SIGKILL)
    killed_at = time.monotonic()
    time.sleep(0.5)  # the supervisor notices within a fifth of a second
    answers = []
    while True:
        started = time.monotonic()
        answer = api.get("/video-workflows")
        answers.append((answer.status_code, time.monotonic() - started))
        if answer.status_code == 503:
            assert answer.headers["Retry-After"]
        ready = httpx.get(f"{app_url}/api/ready", timeout=5)
        if ready.status_code == 200:
            break
        assert ready.json()["database"] == "restarting"
        assert time.monotonic() - killed_at < 10, "/api/ready is not back within 10 s of the kill"
        time.sleep(0.2)
    assert all(status in (200, 503) for status, _ in answers), answers
    assert all(seconds < 1.0 for _, seconds in answers), f"an API call waited a second or more: {answers}"
    return answers


@pytest.mark.parametrize("kills", [1, 3])
def test_a_killed_embedded_database_restarts_by_itself_and_the_running_video_finishes(tmp_path: Path, kills: int):
    with running_app(tmp_path / "data") as app:
        with MongoClient(app.mongo_uri, tz_aware=True) as client:
            UserService(client[APP_DATABASE], clock=utc_now, bcrypt_rounds=4).register(
                username="dana", password=PASSWORD, name="Dana"
            )
        with httpx.Client(base_url=f"{app.url}/api", timeout=30) as api:
            token = api.post("/auth/token", json={"username": "dana", "password": PASSWORD}).json()["accessToken"]
            api.headers["Authorization"] = f"Bearer {token}"
            path = start_a_long_video(api)
            before = api.get("/video-workflows").json()["total"]

            outages = [kill_and_watch_the_outage(app.url, api, app.mongo_uri) for _ in range(kills)]
            assert any(status == 503 for answers in outages for status, _ in answers), "the outage was seen as 503s"

            finished = wait_for(lambda: (w := api.get(path).json())["status"] in ("COMPLETED", "FAILED") and w, timeout=400)
            assert finished["status"] == "COMPLETED", finished.get("errors")
            assert finished["videoOutput"]["duration"] == VIDEO_SECONDS
            assert api.get("/video-workflows").json()["total"] == before, "every workflow written before the kill is there"
            assert api.post("/auth/token", json={"username": "dana", "password": PASSWORD}).status_code == 200
            restarts = scrape(f"{app.url}/api").value("vws_embedded_db_restarts_total")
            assert restarts == kills
