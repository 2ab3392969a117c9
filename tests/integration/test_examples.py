"""The bundled examples: made through the ordinary use cases, offline, labelled, and deletable."""

from __future__ import annotations

import io

import av
import pytest

from services.core.errors import NotFoundError, ValidationError
from services.examples.seeder import FINISHED, FOR_REVIEW, ExampleSeeder
from services.studio.service import VideoWorkflowService
from services.workflows.domain import WorkflowStatus, WorkflowStep

USER = "user-new"


def test_the_finished_example_has_every_step_and_a_playable_offline_video(service: VideoWorkflowService):
    workflow = ExampleSeeder(service).create(user_id=USER, kind=FINISHED)

    assert workflow.example is True
    assert (workflow.current_step, workflow.status) == (WorkflowStep.COMPLETED, WorkflowStatus.COMPLETED)
    assert len(workflow.refinement_iterations) == 2
    assert len(workflow.generated_frames) == 3 and workflow.frames_approved
    assert workflow.model_selections.video == "offline-animatic"
    assert workflow.total_cost_usd == 0.0
    video = service.read_media(user_id=USER, key=workflow.video_output.video_key)
    with av.open(io.BytesIO(video)) as container:
        stream = container.streams.video[0]
        assert float(stream.duration * stream.time_base) == pytest.approx(8.0, abs=0.1)


def test_the_review_example_stops_at_frame_review_ready_to_approve_or_reject(service: VideoWorkflowService):
    workflow = ExampleSeeder(service).create(user_id=USER, kind=FOR_REVIEW)

    assert workflow.example is True
    assert workflow.current_step is WorkflowStep.FRAME_REVIEW
    assert workflow.status is WorkflowStatus.WAITING_USER_INPUT
    assert [frame.approved for frame in workflow.generated_frames] == [False, False, False]


def test_an_example_is_deleted_like_any_workflow(service: VideoWorkflowService):
    workflow = ExampleSeeder(service).create(user_id=USER, kind=FOR_REVIEW)

    service.delete_workflow(user_id=USER, workflow_id=workflow.id)

    with pytest.raises(NotFoundError):
        service.get_workflow(user_id=USER, workflow_id=workflow.id)


def test_an_unknown_example_kind_says_which_exist(service: VideoWorkflowService):
    with pytest.raises(ValidationError, match="finished, review"):
        ExampleSeeder(service).create(user_id=USER, kind="cooking")
