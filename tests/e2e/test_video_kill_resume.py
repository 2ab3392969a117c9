"""SIGKILL a worker after Replicate made its video prediction but before the id was recorded.

The opening frame went to Replicate as a file. The successor must find that prediction by the intent
the dead worker recorded before the create (the file's URL), and pay for nothing a second time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pymongo.database import Database

from services.workflows.domain import WorkflowStatus, WorkflowStep
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.mongo_replicate import FILES, PREDICTIONS, MongoReplicate
from tests.support.providers import mp4_bytes
from tests.support.worker_processes import Workers, wait_for

USER = "user-alice"


def test_a_killed_video_job_with_an_uploaded_first_frame_resumes_by_intent_and_pays_once(
    make_service, db: Database, mongo_uri: str, tmp_path: Path
):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(mp4_bytes(tmp_path, seconds=8))
    workers = Workers(mongo_uri, db, tmp_path, "embedded", "", prediction_seconds=1.0)
    workers.command = [
        sys.executable, "-m", "tests.support.replicate_worker_process", "--uri", mongo_uri, "--database", db.name,
        "--data-dir", str(tmp_path / "data"), "--stop-file", str(tmp_path / "stop"), "--clip", str(clip),
    ]  # fmt: skip
    # Queue only: its dispatcher is never started, so the worker processes run the jobs.
    service = make_service(JOB_BACKEND="embedded", DATA_DIR=tmp_path / "data", dispatched=True)
    workers.spawn()
    try:
        inline = make_service(JOB_BACKEND="inline", DATA_DIR=tmp_path / "data")  # the storyboard, drawn offline here
        workflow = inline.create_workflow(user_id=USER, brief=a_brief(duration=8, video_model="veo-3"))
        inline.refine_prompt(user_id=USER, workflow_id=workflow.id)
        inline.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=1)
        inline.review_frames(user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(0, True)])
        job_id = service.generate_video(user_id=USER, workflow_id=workflow.id, fps=24).active_job_id

        # The worst moment: the prediction exists at Replicate, the job has not recorded its id.
        wait_for(lambda: db[PREDICTIONS].find_one(), timeout=30)
        job = db["jobs"].find_one({"_id": job_id})
        assert job["predictionIds"] == {} and job["intentDetails"]["video/clip-0"]["files"]["image"].startswith(
            "https://api.replicate.com/v1/files/"
        )
        workers.kill(int(job["leaseOwner"].split(":")[1]))
        workers.spawn()

        final = wait_for(
            lambda: db["jobs"].find_one({"_id": job_id, "status": {"$in": ["SUCCEEDED", "FAILED", "CANCELED"]}}),
            timeout=60,
        )
        assert final["status"] == "SUCCEEDED", final.get("error")
        replicate = MongoReplicate(db, seconds=0)
        assert (replicate.creates(), replicate.uploads()) == (1, 1), "one prediction and one upload, across both workers"
        assert final["predictionIds"] == {"video/clip-0": db[PREDICTIONS].find_one()["_id"]}
        assert db[FILES].count_documents({}) == 1
        done = service.get_workflow(user_id=USER, workflow_id=workflow.id)
        assert (done.current_step, done.status) == (WorkflowStep.COMPLETED, WorkflowStatus.COMPLETED)
        assert done.video_output is not None and done.video_output.model == "veo-3"
    finally:
        workers.stop()
