"""SIGKILL a worker while its predictions are processing: nothing is lost and nothing is paid for twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymongo.database import Database

from services.domain import WorkflowStatus, WorkflowStep
from tests import job_worker_process as worker
from tests.conftest import a_brief
from tests.scripted_predictions import MongoScriptedPredictions

ROOT = Path(__file__).resolve().parents[1]
RUNS = 20
PREDICTION_SECONDS = 1.5
USER = "user-alice"


def spawn(mode: str, *, mongo_uri: str, db: Database, data_dir: Path, **extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.job_worker_process", mode, "--uri", mongo_uri, "--database", db.name,
               "--data-dir", str(data_dir), "--prediction-seconds", str(PREDICTION_SECONDS)]
    for name, value in extra.items():
        command += [f"--{name.replace('_', '-')}", value]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout.readline().strip() == b"ready", "worker failed to start"
    return process


def wait_for(condition, *, timeout: float, every: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := condition()) is not None:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def standby(mongo_uri: str, db: Database, tmp_path: Path):
    stop_file = tmp_path / "stop"
    process = spawn("standby", mongo_uri=mongo_uri, db=db, data_dir=tmp_path / "data", stop_file=str(stop_file))
    yield process
    stop_file.touch()
    process.wait(timeout=30)


def test_killing_the_worker_at_a_random_point_loses_no_job_and_pays_for_no_prediction_twice(
        service, mongo_uri: str, db: Database, tmp_path: Path, standby):
    predictions = MongoScriptedPredictions(db, seconds=PREDICTION_SECONDS)
    rng = random.Random(2026)
    recoveries = []
    for run in range(RUNS):
        workflow = service.create_workflow(user_id=USER, brief=a_brief(title=f"Kill run {run}"))
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
        victim = spawn("generate", mongo_uri=mongo_uri, db=db, data_dir=tmp_path / "data", user=USER,
                       workflow=workflow.id)
        job = wait_for(lambda wid=workflow.id: db["jobs"].find_one({"workflowId": wid, "predictionIds": {"$ne": {}}}),
                       timeout=20)
        time.sleep(rng.uniform(0, 0.8 * PREDICTION_SECONDS))  # somewhere while the predictions are processing
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        victim.wait(timeout=10)

        wait_for(lambda jid=job["_id"]: True if db["jobs"].find_one({"_id": jid})["attempts"] >= 2 else None,
                 timeout=worker.LEASE_SECONDS + 5)
        recoveries.append(time.monotonic() - killed_at)
        final = wait_for(lambda jid=job["_id"]: db["jobs"].find_one({"_id": jid, "status": {"$in": [
            "SUCCEEDED", "FAILED", "CANCELED"]}}), timeout=30)

        assert final["status"] == "SUCCEEDED", f"run {run}: job ended {final['status']}: {final.get('error')}"
        assert predictions.creates(workflow.id) == {"frame-1": 1, "frame-2": 1, "frame-3": 1}, f"run {run}"
        done = service.get_workflow(user_id=USER, workflow_id=workflow.id)
        assert (done.current_step, done.status) == (WorkflowStep.FRAME_REVIEW, WorkflowStatus.WAITING_USER_INPUT)
        assert [f.frame_number for f in done.generated_frames] == [1, 2, 3]

    bound = worker.LEASE_SECONDS + worker.POLL_SECONDS
    assert max(recoveries) <= bound + 0.3, f"recovery took up to {max(recoveries):.2f} s (bound {bound:.2f} s)"
