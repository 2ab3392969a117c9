"""A whole workflow through the service, on the real embedded database, with offline providers."""

from __future__ import annotations

import io

import av
from PIL import Image

from services.studio.service import VideoWorkflowService
from services.workflows.domain import WorkflowStatus, WorkflowStep
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief

USER = "user-alice"


def test_a_brief_becomes_a_playable_video_with_only_the_rejected_frame_regenerated(service: VideoWorkflowService):
    workflow = service.create_workflow(user_id=USER, brief=a_brief(duration=4))
    assert (workflow.current_step, workflow.status) == (WorkflowStep.INITIAL_PROMPT, WorkflowStatus.IN_PROGRESS)

    first = service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    second = service.refine_prompt(user_id=USER, workflow_id=workflow.id, additional_info="Add neon reflections")
    assert [i.iteration for i in second.refinement_iterations] == [1, 2]
    assert second.refinement_iterations[1].additional_info == "Add neon reflections"
    assert "Add neon reflections" in second.final_refined_prompt
    assert second.final_refined_prompt != first.final_refined_prompt
    assert second.status is WorkflowStatus.WAITING_USER_INPUT
    assert second.refinement_iterations_remaining == 8

    framed = service.generate_frames(user_id=USER, workflow_id=workflow.id)
    assert framed.current_step is WorkflowStep.FRAME_REVIEW
    assert [(f.frame_number, f.scene, f.approved) for f in framed.generated_frames] == [
        (0, "Opening", False),
        (1, "Middle", False),
        (2, "Closing", False),
    ]
    before = {f.frame_number: service.read_media(user_id=USER, key=f.image_key) for f in framed.generated_frames}

    service.review_frames(
        user_id=USER,
        workflow_id=workflow.id,
        reviews=[
            FrameReview(0, True),
            FrameReview(1, False, "Make it night, with the city lights on"),
            FrameReview(2, True),
        ],
    )
    regenerated = service.regenerate_frames(user_id=USER, workflow_id=workflow.id, frame_numbers=[1])

    after = {f.frame_number: service.read_media(user_id=USER, key=f.image_key) for f in regenerated.generated_frames}
    assert after[0] == before[0] and after[2] == before[2], "approved frames must be byte-identical"
    assert after[1] != before[1]
    frame_two = regenerated.frame(1)
    assert "Make it night" in frame_two.prompt and frame_two.version == 2 and not frame_two.approved
    assert frame_two.history[0].feedback == "Make it night, with the city lights on"
    assert regenerated.frame(0).approved and regenerated.frame(2).approved

    approved = service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(1, True)])
    assert approved.frames_approved

    done = service.generate_video(user_id=USER, workflow_id=workflow.id, fps=24)
    assert (done.current_step, done.status) == (WorkflowStep.COMPLETED, WorkflowStatus.COMPLETED)
    assert done.video_output.frame_count == 4 * 24

    for frame in done.generated_frames:
        image = Image.open(io.BytesIO(service.read_media(user_id=USER, key=frame.image_key)))
        assert (image.format, image.size) == ("PNG", (1024, 576))

    video_path = service.media.local_path(done.video_output.video_key)
    with av.open(str(video_path)) as container:
        stream = container.streams.video[0]
        decoded = sum(1 for _ in container.decode(stream))
        assert stream.codec_context.name == "h264"
        assert stream.average_rate == 24
        assert (stream.codec_context.width, stream.codec_context.height) == (1024, 576)
    assert decoded == 4 * 24


def test_each_step_records_which_provider_and_model_ran(service: VideoWorkflowService):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    refined = service.refine_prompt(user_id=USER, workflow_id=workflow.id, model="claude-3-opus-20240229")
    framed = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2, model="dalle-3")

    # Issue 18: the seed's retired ids run their successors; records keep the model that ran and the id asked for.
    first = refined.refinement_iterations[0]
    assert (first.model, first.requested_model, first.provider) == ("claude-opus-4.6", "claude-3-opus-20240229", "offline")
    assert {(f.model, f.requested_model, f.provider) for f in framed.generated_frames} == {
        ("flux-1.1-pro", "dalle-3", "offline")
    }
    assert framed.model_selections.refinement == "claude-opus-4.6"
    assert framed.model_selections.frames == "flux-1.1-pro"


def test_a_portrait_brief_gets_portrait_frames_and_video(service: VideoWorkflowService):
    workflow = service.create_workflow(user_id=USER, brief=a_brief(aspect_ratio="9:16", duration=2))
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    framed = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
    assert {(f.width, f.height) for f in framed.generated_frames} == {(576, 1024)}
    service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(0, True), FrameReview(1, True)])
    done = service.generate_video(user_id=USER, workflow_id=workflow.id, fps=12)
    with av.open(str(service.media.local_path(done.video_output.video_key))) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (576, 1024)
        assert sum(1 for _ in container.decode(stream)) == 24
