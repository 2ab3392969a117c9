"""SIGKILL the worker running a job while its predictions process: nothing is lost, nothing is paid twice.

Two worker processes share one database: embedded-mode app processes with their pools, or scale-out
workers fed through Redis. Each run queues a frame generation, waits until a prediction is
processing, kills whichever process holds the job, and starts a replacement. The survivor must take
the job over and finish it.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from pydantic import SecretStr
from pymongo.database import Database

from services.workflows.domain import WorkflowStatus, WorkflowStep
from tests.support import job_worker_process as worker
from tests.support.briefs import a_brief
from tests.support.scripted_predictions import MongoScriptedPredictions, registry_with
from tests.support.worker_processes import Workers, wait_for

RUNS = 20
PREDICTION_SECONDS = 1.5
USER = "user-alice"


@pytest.fixture(params=["embedded", "redis"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def workers(mongo_uri: str, db: Database, tmp_path: Path, backend: str, redis_url: str):
    pool = Workers(mongo_uri, db, tmp_path, backend, redis_url, prediction_seconds=PREDICTION_SECONDS)
    pool.spawn()
    pool.spawn()
    yield pool
    pool.stop()


def test_killing_the_worker_at_a_random_point_loses_no_job_and_pays_for_no_prediction_twice(
    make_service, db: Database, workers: Workers, backend: str, redis_url: str
):
    predictions = MongoScriptedPredictions(db, seconds=PREDICTION_SECONDS)
    service = make_service(  # queue only: its dispatcher is never started, so the worker processes run the jobs
        models=registry_with(predictions), JOB_BACKEND=backend, REDIS_URL=SecretStr(redis_url), dispatched=True
    )
    rng = random.Random(2026)
    recoveries = []
    for run in range(RUNS):
        workflow = service.create_workflow(user_id=USER, brief=a_brief(title=f"Kill run {run}"))
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
        job_id = service.generate_frames(user_id=USER, workflow_id=workflow.id).active_job_id
        running = wait_for(lambda jid=job_id: db["jobs"].find_one({"_id": jid, "predictionIds": {"$ne": {}}}), timeout=20)
        time.sleep(rng.uniform(0, 0.8 * PREDICTION_SECONDS))  # somewhere while the predictions are processing
        holder = int(running["leaseOwner"].split(":")[1])
        workers.kill(holder)
        killed_at = time.monotonic()

        wait_for(
            lambda jid=job_id: True if db["jobs"].find_one({"_id": jid})["attempts"] >= 2 else None,
            timeout=worker.LEASE_SECONDS + 5,
        )
        # Recovery is the survivor taking the job over; the replacement starts only after it is measured, since its
        # start-up (importing the whole app) has nothing to do with how fast a lapsed job is picked up.
        recoveries.append(time.monotonic() - killed_at)
        workers.spawn()
        final = wait_for(
            lambda jid=job_id: db["jobs"].find_one({"_id": jid, "status": {"$in": ["SUCCEEDED", "FAILED", "CANCELED"]}}),
            timeout=30,
        )

        assert final["status"] == "SUCCEEDED", f"run {run}: job ended {final['status']}: {final.get('error')}"
        assert predictions.creates(workflow.id) == {"frame-0": 1, "frame-1": 1, "frame-2": 1}, f"run {run}"
        done = service.get_workflow(user_id=USER, workflow_id=workflow.id)
        assert (done.current_step, done.status) == (WorkflowStep.FRAME_REVIEW, WorkflowStatus.WAITING_USER_INPUT)
        assert [f.frame_number for f in done.generated_frames] == [0, 1, 2]

    bound = worker.LEASE_SECONDS + worker.POLL_SECONDS
    assert max(recoveries) <= bound + 0.3, f"recovery took up to {max(recoveries):.2f} s (bound {bound:.2f} s)"
