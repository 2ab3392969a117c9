"""GET by id copies the public fields out of the stored document: the same JSON the response models give."""

from __future__ import annotations

import copy
import json

from api.schemas import WorkflowResponse
from api.views import workflow_json
from services.studio.service import VideoWorkflowService
from services.workflows.repository import WORKFLOWS, document_to_workflow
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief

USER = "user-views"


def through_models(document: dict) -> dict:
    workflow = document_to_workflow(copy.deepcopy(document))
    return json.loads(WorkflowResponse.of(workflow, media_base="/api/media").model_dump_json(by_alias=True))


def test_the_copied_view_equals_the_models_view_at_every_stage(service: VideoWorkflowService, db):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    stored = [db[WORKFLOWS].find_one({"_id": workflow.id})]  # new
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    framed = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
    stored.append(db[WORKFLOWS].find_one({"_id": workflow.id}))  # refined, frames in review
    reviews = [FrameReview(frame.frame_number, True) for frame in framed.generated_frames]
    service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=reviews)
    service.generate_video(user_id=USER, workflow_id=workflow.id)
    stored.append(db[WORKFLOWS].find_one({"_id": workflow.id}))  # completed, with a video
    assert stored[-1]["videoOutput"] is not None
    for document in stored:
        assert json.loads(workflow_json(copy.deepcopy(document), media_base="/api/media")) == through_models(document)


def test_a_document_missing_a_required_field_is_refused_by_the_models_not_served_half(db, service):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    document = db[WORKFLOWS].find_one({"_id": workflow.id})
    del document["title"]
    try:
        workflow_json(document, media_base="/api/media")
    except Exception as error:  # noqa: BLE001 - the models' own validation error
        assert "title" in str(error)
    else:
        raise AssertionError("a document without a title was served")
