"""Scale-out: two app-side services queue through one Redis to two worker processes; each job runs once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import SecretStr
from pymongo.database import Database

from services.jobs.queue import RedisJobQueue
from services.workflows.domain import WorkflowStep
from tests.support.briefs import a_brief
from tests.support.scripted_predictions import MongoScriptedPredictions, registry_with
from tests.support.worker_processes import Workers, wait_for

WORKFLOWS = 50
USER = "user-alice"


def test_fifty_workflows_queued_from_two_apps_run_each_job_exactly_once_on_two_workers(
    make_service, mongo_uri: str, db: Database, redis_url: str, tmp_path: Path
):
    predictions = MongoScriptedPredictions(db, seconds=0.2)
    apps = []
    for _ in range(2):
        app = make_service(
            models=registry_with(predictions), JOB_BACKEND="redis", REDIS_URL=SecretStr(redis_url), dispatched=True
        )
        assert isinstance(app.dispatcher, RedisJobQueue)
        apps.append(app)
    workers = Workers(mongo_uri, db, tmp_path, "redis", redis_url, prediction_seconds=0.2)
    workers.spawn()
    workers.spawn()
    try:

        def start(number: int) -> str:
            app = apps[number % 2]
            workflow = app.create_workflow(user_id=USER, brief=a_brief(title=f"Scale {number}"))
            app.refine_prompt(user_id=USER, workflow_id=workflow.id)
            return app.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2).id

        with ThreadPoolExecutor(max_workers=10) as pool:
            workflow_ids = list(pool.map(start, range(WORKFLOWS)))

        wait_for(
            lambda: True if db["jobs"].count_documents({"status": "SUCCEEDED"}) == WORKFLOWS else None,
            timeout=180,
            every=0.2,
        )
    finally:
        workers.stop()

    jobs = list(db["jobs"].find())
    assert len(jobs) == WORKFLOWS and all(job["attempts"] == 1 for job in jobs), "each job ran exactly once"
    for workflow_id in workflow_ids:
        assert predictions.creates(workflow_id) == {"frame-0": 1, "frame-1": 1}  # frames are numbered from 0
        assert apps[0].get_workflow(user_id=USER, workflow_id=workflow_id).current_step is WorkflowStep.FRAME_REVIEW
