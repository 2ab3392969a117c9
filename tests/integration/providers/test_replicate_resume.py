"""Inside a durable job, a Replicate prediction is created at most once per part, even across a crash."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from pymongo.database import Database

from services.core.clock import utc_now
from services.core.errors import JobCanceledError
from services.core.job_scope import job_part
from services.jobs.context import ActiveJob, running_job
from services.jobs.store import JobKind, JobStore, ensure_job_indexes
from tests.support.providers import SDXL_VERSION, Recorder, a_frame_request, prediction
from tests.unit.providers.test_replicate_contract import OUTPUT, frames_with

PID = "gm3qorzdhgbfurvjtvhg6dckhu"


@pytest.fixture
def active(db: Database) -> ActiveJob:
    ensure_job_indexes(db)
    store = JobStore(db, clock=utc_now, lease=timedelta(seconds=30))
    job, _ = store.create(workflow_id="wf1", user_id="alice", kind=JobKind.GENERATE_FRAMES, params={}, claimed_by="worker-1")
    return ActiveJob(store, job)


def run_frame(generator, active: ActiveJob) -> None:
    with running_job(active, heartbeat_every=10), job_part("frame-1"):
        generator.generate_frame(a_frame_request())


def test_a_new_part_creates_one_prediction_and_records_its_id_on_the_job(tmp_path, active: ActiveJob):
    replicate = Recorder(prediction("starting"), prediction("succeeded", output=[OUTPUT]))
    run_frame(frames_with(tmp_path, replicate), active)
    assert [r.method for r in replicate.requests].count("POST") == 1
    assert active.store.get(active.job.id).prediction_ids == {"frame-1": PID}


def test_a_recorded_prediction_is_polled_and_never_created_again(tmp_path, active: ActiveJob):
    active.intent_for("frame-1")
    active.record_prediction("frame-1", PID)  # what the dead worker left
    replicate = Recorder(prediction("succeeded", output=[OUTPUT]))
    run_frame(frames_with(tmp_path, replicate), active)
    assert [(r.method, r.url.path) for r in replicate.requests] == [("GET", f"/v1/predictions/{PID}")]


def test_a_prediction_created_before_the_crash_is_found_by_its_input_instead_of_paid_for_again(tmp_path, active):
    active.intent_for("frame-1")  # the dead worker recorded its intent, created, and died before recording the id
    generator = frames_with(tmp_path, Recorder(prediction("succeeded")))
    earlier = json.loads(prediction("processing").content)
    earlier["input"] = generator.frame_input(a_frame_request())
    unrelated = {**earlier, "id": "other", "input": {"prompt": "someone else's frame"}}
    listing = httpx.Response(200, json={"results": [unrelated, earlier], "next": None, "previous": None})
    replicate = Recorder(listing, prediction("succeeded", output=[OUTPUT]))

    run_frame(frames_with(tmp_path, replicate), active)

    assert [(r.method, r.url.path) for r in replicate.requests] == [
        ("GET", "/v1/predictions"),
        ("GET", f"/v1/predictions/{PID}"),
    ]
    assert active.store.get(active.job.id).prediction_ids == {"frame-1": PID}
    assert earlier["version"] == SDXL_VERSION


def test_a_canceled_job_cancels_its_replicate_prediction_while_polling(tmp_path, active: ActiveJob):
    replicate = Recorder(prediction("starting"), prediction("processing"), prediction("canceled"))
    generator = frames_with(tmp_path, replicate)
    active._canceled.set()  # what the heartbeat sets when the user cancels
    with pytest.raises(JobCanceledError), running_job(active, heartbeat_every=10), job_part("frame-1"):
        generator.generate_frame(a_frame_request())
    assert ("POST", f"/v1/predictions/{PID}/cancel") in [(r.method, r.url.path) for r in replicate.requests]
