"""Generation runs as durable jobs: recorded first, resumable after a worker dies, idempotent by key."""

from __future__ import annotations

import time

import pytest
from pymongo.database import Database

from services.core.errors import BusyError, StudioError
from services.jobs.context import ActiveJob
from services.jobs.store import JobKind, JobStatus
from services.studio.service import VideoWorkflowService, new_job_id
from services.workflows import rules
from services.workflows.domain import WorkflowStatus, WorkflowStep
from services.workflows.frame_planning import plan_frames
from services.workflows.state_machine import WorkflowAction
from tests.support.briefs import a_brief
from tests.support.scripted_predictions import MongoScriptedPredictions, registry_with

USER = "user-alice"
LEASE = 0.4


@pytest.fixture
def predictions(db: Database) -> MongoScriptedPredictions:
    return MongoScriptedPredictions(db, seconds=0.2)


@pytest.fixture
def service(make_service, predictions) -> VideoWorkflowService:
    return make_service(models=registry_with(predictions), JOB_LEASE_SECONDS=LEASE, JOB_HEARTBEAT_SECONDS=0.1)


def refined(service: VideoWorkflowService) -> str:
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    return workflow.id


def abandon_frames_job(service: VideoWorkflowService, workflow_id: str, *, frame_count: int = 3):
    """What a worker leaves behind when it is killed mid-generation: workflow PROCESSING, job RUNNING."""
    job_id = "job-of-a-dead-worker"

    def start(workflow):
        service.writer.begin(workflow, WorkflowAction.GENERATE_FRAMES, job_id)
        rules.start_frame_plan(workflow, frame_count=frame_count, seed=42)

    service.writer.update(USER, workflow_id, start)
    job, _ = service.jobs.store.create(
        workflow_id=workflow_id,
        user_id=USER,
        kind=JobKind.GENERATE_FRAMES,
        params={"frameCount": frame_count, "model": "stable-diffusion-xl"},
        job_id=job_id,
        claimed_by="dead-worker",
        max_attempts=service.settings.JOB_MAX_ATTEMPTS,
    )
    return job


def paid_prediction(
    predictions: MongoScriptedPredictions, service: VideoWorkflowService, workflow_id: str, frame_number: int
) -> str:
    """A prediction the provider already created (and billed) for this frame."""
    workflow = service.get_workflow(user_id=USER, workflow_id=workflow_id)
    plan = plan_frames(
        refined_prompt=workflow.final_refined_prompt,
        frame_count=workflow.planned_frame_count,
        aspect_ratio=workflow.metadata.aspect_ratio,
        style=workflow.metadata.style,
    )[frame_number]
    prediction_id = f"paid-{frame_number}"
    predictions.collection.insert_one(
        {
            "_id": prediction_id,
            "workflowId": workflow_id,
            "part": f"frame-{frame_number}",
            "input": f"{plan.prompt}|{workflow.frame_seed + frame_number}",
            "createdAt": time.time(),
        }
    )
    return prediction_id


def test_the_job_record_is_written_before_the_provider_is_called(service, predictions, db):
    workflow_id = refined(service)
    seen_jobs = []
    original = predictions.collection.insert_one

    def spying_create(document):
        job = db["jobs"].find_one({"workflowId": workflow_id})
        seen_jobs.append((job["status"], job["predictionIntents"].get(document["part"])))
        return original(document)

    predictions.collection.insert_one = spying_create
    done = service.generate_frames(user_id=USER, workflow_id=workflow_id)

    assert len(seen_jobs) == 3 and all(status == "RUNNING" and intent for status, intent in seen_jobs)
    job = db["jobs"].find_one({"workflowId": workflow_id})
    assert job["status"] == "SUCCEEDED" and set(job["predictionIds"]) == {"frame-0", "frame-1", "frame-2"}
    assert done.current_step is WorkflowStep.FRAME_REVIEW and done.active_job_id is None


def test_a_dead_workers_job_resumes_polling_its_prediction_instead_of_paying_again(service, predictions):
    workflow_id = refined(service)
    job = abandon_frames_job(service, workflow_id)
    active = ActiveJob(service.jobs.store, job)
    active.intent_for("frame-0")
    active.record_prediction("frame-0", paid_prediction(predictions, service, workflow_id, 0))
    active.intent_for("frame-1")  # it died between recording the intent and the create call

    time.sleep(LEASE + 0.1)  # the dead worker's lease lapses
    assert service.reconcile() == 1

    assert predictions.creates(workflow_id) == {"frame-0": 1, "frame-1": 1, "frame-2": 1}
    done = service.get_workflow(user_id=USER, workflow_id=workflow_id)
    assert (done.current_step, done.status, len(done.generated_frames)) == (
        WorkflowStep.FRAME_REVIEW,
        WorkflowStatus.WAITING_USER_INPUT,
        3,
    )
    assert service.jobs.store.get(job.id).status is JobStatus.SUCCEEDED


def test_a_prediction_created_just_before_the_crash_is_found_by_its_intent(service, predictions):
    workflow_id = refined(service)
    job = abandon_frames_job(service, workflow_id, frame_count=1)
    active = ActiveJob(service.jobs.store, job)
    active.intent_for("frame-0")
    paid_prediction(predictions, service, workflow_id, 0)  # created, but the worker died before recording its id

    time.sleep(LEASE + 0.1)
    service.reconcile()

    assert predictions.creates(workflow_id) == {"frame-0": 1}
    assert len(service.get_workflow(user_id=USER, workflow_id=workflow_id).generated_frames) == 1


def test_a_job_out_of_attempts_fails_its_workflow_with_a_reason_and_the_step_can_be_retried(make_service, predictions):
    service = make_service(
        models=registry_with(predictions), JOB_LEASE_SECONDS=LEASE, JOB_HEARTBEAT_SECONDS=0.1, JOB_MAX_ATTEMPTS=1
    )
    workflow_id = refined(service)
    abandon_frames_job(service, workflow_id)
    time.sleep(LEASE + 0.1)

    assert service.reconcile() == 0
    failed = service.get_workflow(user_id=USER, workflow_id=workflow_id)
    assert (failed.status, failed.current_step) == (WorkflowStatus.FAILED, WorkflowStep.FRAME_GENERATION)
    assert "stopped after 1 attempts" in failed.errors[-1].message

    done = service.generate_frames(user_id=USER, workflow_id=workflow_id)
    assert done.current_step is WorkflowStep.FRAME_REVIEW


def test_generating_frames_again_after_they_exist_is_refused_and_pays_for_no_second_generation(service, predictions):
    workflow_id = refined(service)
    first = service.generate_frames(user_id=USER, workflow_id=workflow_id)
    with pytest.raises(StudioError):
        service.generate_frames(user_id=USER, workflow_id=workflow_id)
    assert service.get_workflow(user_id=USER, workflow_id=workflow_id).generated_frames == first.generated_frames
    assert predictions.creates(workflow_id) == {"frame-0": 1, "frame-1": 1, "frame-2": 1}


def test_starting_frames_while_a_live_worker_holds_the_workflows_job_is_refused_as_busy(service):
    workflow_id = refined(service)
    job_id = new_job_id()
    service.writer.update(USER, workflow_id, lambda w: service.writer.begin(w, WorkflowAction.GENERATE_FRAMES, job_id))
    service.jobs.store.create(
        workflow_id=workflow_id,
        user_id=USER,
        kind=JobKind.GENERATE_FRAMES,
        params={"frameCount": 3, "model": "stable-diffusion-xl"},
        job_id=job_id,
        claimed_by="a-live-worker",
    )
    with pytest.raises(BusyError):
        service.generate_frames(user_id=USER, workflow_id=workflow_id)


def test_a_resumed_job_whose_workflow_was_deleted_is_closed_without_generating(service, predictions):
    workflow_id = refined(service)
    job = abandon_frames_job(service, workflow_id)
    service.repository.collection.delete_one({"_id": workflow_id})  # gone from outside: the service refuses while busy
    time.sleep(LEASE + 0.1)

    service.reconcile()
    assert service.jobs.store.get(job.id).status is JobStatus.CANCELED
    assert predictions.creates(workflow_id) == {}
