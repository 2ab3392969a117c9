"""Embedded mode: a generation request returns at once; worker threads in the process finish the job."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from pymongo.database import Database

from services.core.errors import BusyError, ValidationError
from services.jobs.dispatch import EmbeddedWorkerPool
from services.jobs.store import JobStatus
from services.studio.service import VideoWorkflowService
from services.workflows.domain import WorkflowStatus, WorkflowStep
from tests.support.briefs import a_brief
from tests.support.scripted_predictions import MongoScriptedPredictions, registry_with

USER = "user-alice"
PREDICTION_SECONDS = 0.6


@pytest.fixture
def predictions(db: Database) -> MongoScriptedPredictions:
    return MongoScriptedPredictions(db, seconds=PREDICTION_SECONDS)


@pytest.fixture
def service(make_service, predictions) -> Iterator[VideoWorkflowService]:
    service = make_service(
        models=registry_with(predictions),
        JOB_BACKEND="embedded",
        JOB_WORKER_THREADS=2,
        RECONCILE_INTERVAL_SECONDS=0.5,
        dispatched=True,
    )
    assert isinstance(service.dispatcher, EmbeddedWorkerPool)
    service.dispatcher.start()
    yield service
    service.dispatcher.stop()


def wait_until_settled(service: VideoWorkflowService, workflow_id: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workflow = service.get_workflow(user_id=USER, workflow_id=workflow_id)
        if workflow.status is not WorkflowStatus.PROCESSING:
            return workflow
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_generate_frames_returns_at_once_with_a_job_and_the_pool_finishes_it(service):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)

    started = time.perf_counter()
    accepted = service.generate_frames(user_id=USER, workflow_id=workflow.id)
    assert time.perf_counter() - started < PREDICTION_SECONDS / 2, "the request must not wait for the provider"
    assert (accepted.status, accepted.current_step) == (WorkflowStatus.PROCESSING, WorkflowStep.FRAME_GENERATION)
    assert accepted.active_job_id is not None

    done = wait_until_settled(service, workflow.id)
    assert (done.status, done.current_step, len(done.generated_frames)) == (
        WorkflowStatus.WAITING_USER_INPUT,
        WorkflowStep.FRAME_REVIEW,
        3,
    )
    deadline = time.monotonic() + 5  # the job is closed right after the workflow settles
    while (job := service.jobs.store.get(accepted.active_job_id)).status is JobStatus.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert (job.status, job.progress.percent) == (JobStatus.SUCCEEDED, 100)


def test_a_second_request_while_the_job_runs_is_refused_as_busy(service):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    service.generate_frames(user_id=USER, workflow_id=workflow.id)
    with pytest.raises(BusyError, match="already running"):
        service.generate_frames(user_id=USER, workflow_id=workflow.id)
    wait_until_settled(service, workflow.id)


def test_concurrent_workflows_each_run_their_job_exactly_once(service, predictions):
    workflows = []
    for number in range(6):
        workflow = service.create_workflow(user_id=USER, brief=a_brief(title=f"Batch {number}"))
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
        service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
        workflows.append(workflow.id)
    for workflow_id in workflows:
        assert wait_until_settled(service, workflow_id, timeout=60).current_step is WorkflowStep.FRAME_REVIEW
        assert predictions.creates(workflow_id) == {"frame-0": 1, "frame-1": 1}


def test_cancelling_a_running_generation_stops_its_predictions_and_the_step_can_be_retried(make_service, predictions, db):
    service = make_service(
        models=registry_with(MongoScriptedPredictions(db, seconds=3)),
        JOB_BACKEND="embedded",
        JOB_HEARTBEAT_SECONDS=0.1,
        JOB_LEASE_SECONDS=1,
        dispatched=True,
    )
    assert isinstance(service.dispatcher, EmbeddedWorkerPool)
    service.dispatcher.start()
    try:
        workflow = service.create_workflow(user_id=USER, brief=a_brief())
        service.refine_prompt(user_id=USER, workflow_id=workflow.id)
        job_id = service.generate_frames(user_id=USER, workflow_id=workflow.id).active_job_id
        deadline = time.monotonic() + 10
        while not db["jobs"].find_one({"_id": job_id})["predictionIds"] and time.monotonic() < deadline:
            time.sleep(0.02)

        canceled = service.cancel_generation(user_id=USER, workflow_id=workflow.id)
        assert canceled.status is WorkflowStatus.FAILED and "Canceled by you" in canceled.errors[-1].message
        assert service.jobs.store.get(job_id).status is JobStatus.CANCELED
        deadline = time.monotonic() + 5
        while db["scripted_provider_predictions"].count_documents({"canceled": True}) == 0:
            assert time.monotonic() < deadline, "the running prediction was not canceled"
            time.sleep(0.02)

        service.dispatcher.stop()
        inline = make_service(models=registry_with(MongoScriptedPredictions(db, seconds=0)))  # the retry runs here
        retried = inline.generate_frames(user_id=USER, workflow_id=workflow.id)
        assert retried.current_step is WorkflowStep.FRAME_REVIEW and len(retried.generated_frames) == 3
    finally:
        service.dispatcher.stop()


def test_cancelling_when_nothing_runs_is_refused(service):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    with pytest.raises(ValidationError, match="nothing to cancel"):
        service.cancel_generation(user_id=USER, workflow_id=workflow.id)
