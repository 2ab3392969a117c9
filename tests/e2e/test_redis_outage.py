"""Scale-out through a Redis outage: requests are accepted, reads go on, and every queued job runs exactly once."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr
from pymongo.database import Database

from tests.support.network import free_port
from tests.support.scripted_predictions import MongoScriptedPredictions, registry_with
from tests.support.worker_processes import Workers, wait_for

pytestmark = [pytest.mark.timeout(600)]
JOBS, OUTAGE_SECONDS, PREDICTION_SECONDS = 20, 10, 0.5


class RedisServer:
    """Debian's redis-server on one loopback port, stoppable and restartable (no persistence: a stop loses its queue)."""

    def __init__(self, directory: Path) -> None:
        self.port, self.directory = free_port(), directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen([*command, "--dir", str(self.directory)], stdout=subprocess.DEVNULL)
        wait_for(lambda: self._answers() or None, timeout=20, every=0.05)  # wait_for waits for not-None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False


@pytest.fixture
def outage_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_a_ten_second_redis_outage_loses_no_job_runs_none_twice_and_refuses_no_request(
    make_api_server, mongo_uri: str, db: Database, tmp_path: Path, outage_redis: RedisServer
):
    predictions = MongoScriptedPredictions(db, seconds=PREDICTION_SECONDS)
    api = make_api_server(
        models=registry_with(predictions),
        JOB_BACKEND="redis",
        REDIS_URL=SecretStr(outage_redis.url),
        RATE_LIMIT_FRAMES="100/minute",  # twenty storyboards in a burst, from one user
        dispatched=True,  # to the Redis queue: the worker processes run the jobs
    )
    workers = Workers(mongo_uri, db, tmp_path, "redis", outage_redis.url, prediction_seconds=PREDICTION_SECONDS)
    workers.spawn()
    workers.spawn()
    _, client = api.user_client()
    try:
        ids = []
        for number in range(JOBS):
            brief = {"title": f"Outage {number}", "initialPrompt": "A lighthouse at dusk", "metadata": {"duration": 4}}
            workflow_id = client.post("/video-workflows", json=brief).raise_for_status().json()["id"]
            client.post(f"/video-workflows/{workflow_id}/refine-prompt", json={}).raise_for_status()
            ids.append(workflow_id)

        statuses: list[int] = []
        reading = threading.Event()

        def keep_reading() -> None:  # a user watching the list all along
            while not reading.is_set():
                statuses.append(client.get("/video-workflows").status_code)
                time.sleep(0.05)

        reader = threading.Thread(target=keep_reading)
        reader.start()
        half = JOBS // 2
        accepted = [client.post(f"/video-workflows/{i}/generate-frames", json={}).status_code for i in ids[:half]]
        outage_redis.stop()
        outage_started = time.monotonic()
        accepted += [client.post(f"/video-workflows/{i}/generate-frames", json={}).status_code for i in ids[half:]]
        ready = api.client().get("/ready")
        assert ready.status_code == 503 and ready.json()["redis"] == "unreachable", "readiness names Redis"
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
        outage_redis.start()

        wait_for(
            lambda: db["jobs"].count_documents({"workflowId": {"$in": ids}, "status": "SUCCEEDED"}) == JOBS or None,
            timeout=240,
            every=0.5,
        )
        reading.set()
        reader.join(10)

        assert accepted == [202] * JOBS, "every generation request was accepted, during the outage too"
        assert statuses and all(status < 500 for status in statuses), sorted(set(statuses))
        for workflow_id in ids:
            assert predictions.creates(workflow_id) == {"frame-0": 1, "frame-1": 1, "frame-2": 1}, workflow_id
    finally:
        workers.stop()
