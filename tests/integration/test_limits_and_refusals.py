"""Every cap and refusal a user can hit, with the message they see."""

from __future__ import annotations

import pytest

from services.core.errors import (
    ForbiddenError,
    InvalidTransitionError,
    LimitReachedError,
    NotFoundError,
    UnknownModelError,
    ValidationError,
)
from services.studio.service import VideoWorkflowService
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief

USER, OTHER = "user-alice", "user-bob"


def reviewed(service: VideoWorkflowService, *, approve: bool, frames: int = 2) -> str:
    workflow = service.create_workflow(user_id=USER, brief=a_brief(duration=2))
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=frames)
    reviews = [FrameReview(n, approve, None if approve else "try again") for n in range(frames)]
    service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=reviews)
    return workflow.id


def test_refinement_stops_at_the_cap_with_a_message_naming_it(make_service):
    service = make_service(MAX_REFINEMENT_ITERATIONS=2)
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    last = service.refine_prompt(user_id=USER, workflow_id=workflow.id, additional_info="warmer")
    assert last.refinement_iterations_remaining == 0
    with pytest.raises(LimitReachedError, match=r"used all 2 prompt refinement rounds \(MAX_REFINEMENT_ITERATIONS=2\)"):
        service.refine_prompt(user_id=USER, workflow_id=workflow.id, additional_info="one more")
    assert len(service.get_workflow(user_id=USER, workflow_id=workflow.id).refinement_iterations) == 2


def test_a_frame_cannot_be_regenerated_past_the_cap(make_service):
    service = make_service(MAX_FRAME_REGENERATIONS=1)
    workflow_id = reviewed(service, approve=False, frames=1)
    service.regenerate_frames(user_id=USER, workflow_id=workflow_id, frame_numbers=[0])
    with pytest.raises(LimitReachedError, match=r"regenerated 1 times, the cap \(MAX_FRAME_REGENERATIONS=1\)"):
        service.regenerate_frames(user_id=USER, workflow_id=workflow_id, frame_numbers=[0])


def test_the_video_is_blocked_until_every_frame_is_approved(service: VideoWorkflowService):
    workflow_id = reviewed(service, approve=False)
    service.review_frames(user_id=USER, workflow_id=workflow_id, reviews=[FrameReview(0, True)])
    with pytest.raises(
        InvalidTransitionError, match="Approve every frame before generating the video. Not yet approved: frame 1"
    ):
        service.generate_video(user_id=USER, workflow_id=workflow_id)
    assert service.get_workflow(user_id=USER, workflow_id=workflow_id).video_output is None


def test_frames_cannot_be_generated_before_a_refinement(service: VideoWorkflowService):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    with pytest.raises(InvalidTransitionError, match="Cannot generate frames while the workflow is at step INITIAL_PROMPT"):
        service.generate_frames(user_id=USER, workflow_id=workflow.id)


def test_someone_elses_workflow_is_refused_for_every_operation(service: VideoWorkflowService):
    workflow_id = reviewed(service, approve=False)
    before = service.get_workflow(user_id=USER, workflow_id=workflow_id)
    attempts = [
        lambda: service.get_workflow(user_id=OTHER, workflow_id=workflow_id),
        lambda: service.refine_prompt(user_id=OTHER, workflow_id=workflow_id),
        lambda: service.generate_frames(user_id=OTHER, workflow_id=workflow_id),
        lambda: service.review_frames(user_id=OTHER, workflow_id=workflow_id, reviews=[FrameReview(0, True)]),
        lambda: service.regenerate_frames(user_id=OTHER, workflow_id=workflow_id, frame_numbers=[0]),
        lambda: service.generate_video(user_id=OTHER, workflow_id=workflow_id),
        lambda: service.delete_workflow(user_id=OTHER, workflow_id=workflow_id),
        lambda: service.read_media(user_id=OTHER, key=before.generated_frames[0].image_key),
    ]
    for attempt in attempts:
        with pytest.raises(ForbiddenError, match="belongs to another user"):
            attempt()
    assert service.get_workflow(user_id=USER, workflow_id=workflow_id) == before
    assert service.list_workflows(user_id=OTHER).total == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "   "}, "Title is required"),
        ({"initial_prompt": ""}, "Prompt is required"),
        ({"title": "x" * 201}, "Title is too long: 201 characters, the limit is 200"),
        ({"initial_prompt": "x" * 4001}, "Prompt is too long: 4001 characters, the limit is 4000"),
        ({"duration": 0}, "Duration must be between 1 and 60 seconds; got 0"),
        ({"duration": 61}, "Duration must be between 1 and 60 seconds; got 61"),
        ({"aspect_ratio": "5:2"}, "Unknown aspect ratio '5:2'. Use one of: 16:9"),
    ],
)
def test_an_invalid_brief_is_refused_with_a_clear_message(service: VideoWorkflowService, changes, message):
    with pytest.raises(ValidationError, match=message):
        service.create_workflow(user_id=USER, brief=a_brief(**changes))
    assert service.list_workflows(user_id=USER).total == 0


def test_an_unknown_model_lists_the_valid_ones(service: VideoWorkflowService):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    with pytest.raises(UnknownModelError, match="Unknown refinement model 'gpt-5'. Valid models: gpt-4o, "):
        service.refine_prompt(user_id=USER, workflow_id=workflow.id, model="gpt-5")


def test_video_duration_and_fps_outside_the_documented_range_are_refused(service: VideoWorkflowService):
    workflow_id = reviewed(service, approve=True)
    with pytest.raises(ValidationError, match="FPS must be between 12 and 60 frames per second; got 120"):
        service.generate_video(user_id=USER, workflow_id=workflow_id, fps=120)
    with pytest.raises(ValidationError, match="Duration must be between 1 and 60 seconds; got 90"):
        service.generate_video(user_id=USER, workflow_id=workflow_id, duration=90)


def test_too_many_frames_are_refused(service: VideoWorkflowService):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    with pytest.raises(ValidationError, match="Frame count must be between 1 and 8; got 9"):
        service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=9)


def test_control_characters_are_stripped_from_user_text(service: VideoWorkflowService):
    workflow = service.create_workflow(user_id=USER, brief=a_brief(title="Launch\x00\x1b[31m day\u200b"))
    assert workflow.title == "Launch[31m day"


def test_a_missing_workflow_is_not_found(service: VideoWorkflowService):
    with pytest.raises(NotFoundError, match="was not found"):
        service.get_workflow(user_id=USER, workflow_id="does-not-exist")
