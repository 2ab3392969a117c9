"""A video job that dies right after paying for its prediction resumes by the intent it recorded first.

The worst moment to die: the first frame (over 256 kB) was uploaded as a file and the prediction was
created, but its id was never recorded. The successor must find that prediction by the intent's
recorded file URL, upload nothing and create nothing, and record the id it found.
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from pymongo.database import Database

from services.core.clock import utc_now
from services.core.job_scope import job_part
from services.jobs.context import ActiveJob, running_job
from services.jobs.store import JobKind, JobStore, ensure_job_indexes
from tests.integration.providers.test_replicate_files_and_aborted import FILE_URL, VIDEO_URL, large_png, veo, veo_answers
from tests.support.providers import Recorder, a_video_request, prediction

PID = "q8hz4fkj3drm80ckbsv9r9rq7c"


class WorkerDied(BaseException):
    """Stands for SIGKILL: nothing after it runs, no except clause catches it."""


class DiesBeforeRecordingThePrediction(JobStore):
    def record_prediction(self, job, *, part, prediction_id):  # type: ignore[no-untyped-def]
        raise WorkerDied(prediction_id)


def test_a_crashed_video_job_with_an_uploaded_first_frame_resumes_by_its_intent_and_pays_once(db: Database, tmp_path):
    ensure_job_indexes(db)
    lease = timedelta(seconds=30)
    dying = DiesBeforeRecordingThePrediction(db, clock=utc_now, lease=lease)
    job, _ = dying.create(workflow_id="wf1", user_id="alice", kind=JobKind.GENERATE_VIDEO, params={}, claimed_by="w-1")
    request = a_video_request(frames=(large_png(),), duration=8)

    def upload_then_create(request_: httpx.Request) -> httpx.Response:
        if request_.url.path == "/v1/files":
            return veo_answers(request_)
        return prediction("starting", pid=PID, model="google/veo-3", version="hidden")

    first = Recorder(upload_then_create)
    with pytest.raises(WorkerDied), running_job(ActiveJob(dying, job), heartbeat_every=10), job_part("video"):
        veo(tmp_path, first).generate_video(request, tmp_path / "v.mp4")
    first_calls = first.requests
    assert [(r.method, r.url.path) for r in first_calls] == [
        ("POST", "/v1/files"),
        ("POST", "/v1/models/google/veo-3/predictions"),
    ]
    paid_input = json.loads(first_calls[1].content)["input"]
    left = JobStore(db, clock=utc_now, lease=lease).get(job.id)
    assert left.prediction_ids == {} and left.intent_details["video/clip-0"]["files"] == {"image": FILE_URL}

    # The successor: Replicate lists the prediction the dead worker paid for, next to someone else's.
    earlier = {**json.loads(prediction("processing", pid=PID, model="google/veo-3", version="hidden").content)}
    earlier["input"] = paid_input
    other = {**earlier, "id": "other", "input": {**paid_input, "image": "https://api.replicate.com/v1/files/other"}}
    listing = httpx.Response(200, json={"results": [other, earlier], "next": None, "previous": None})
    second = Recorder(listing, prediction("succeeded", pid=PID, output=VIDEO_URL, model="google/veo-3", version="hidden"))
    store = JobStore(db, clock=utc_now, lease=lease)
    with running_job(ActiveJob(store, store.get(job.id)), heartbeat_every=10), job_part("video"):
        result = veo(tmp_path, second).generate_video(request, tmp_path / "v.mp4")

    assert [(r.method, r.url.path) for r in second.requests] == [
        ("GET", "/v1/predictions"),
        ("GET", f"/v1/predictions/{PID}"),
    ], "no second upload, no second prediction"
    assert store.get(job.id).prediction_ids == {"video/clip-0": PID}
    assert result.frame_count > 0
