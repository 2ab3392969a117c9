"""Every ratio the brief offers is delivered: Veo renders its nearest native ratio and the result is reframed."""

from __future__ import annotations

import io

import av
import pytest
from PIL import Image

from services.studio.service import VideoWorkflowService
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief

USER = "user-alice"


def _ratio(width: int, height: int) -> float:
    return width / height


@pytest.mark.parametrize(("ratio", "reframe"), [("1:1", "crop"), ("4:5", "blurred-pad")])
def test_an_offline_veo_brief_at_a_ratio_veo_lacks_ends_in_frames_and_an_mp4_of_exactly_that_ratio(
    service: VideoWorkflowService, ratio: str, reframe: str
):
    workflow = service.create_workflow(user_id=USER, brief=a_brief(aspect_ratio=ratio, duration=5, reframe=reframe))
    assert (workflow.metadata.aspect_ratio, workflow.metadata.reframe) == (ratio, reframe), "the choice is recorded"
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    framed = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
    width_part, height_part = (int(p) for p in ratio.split(":"))
    for frame in framed.generated_frames:
        image = Image.open(io.BytesIO(service.read_media(user_id=USER, key=frame.image_key)))
        assert image.size[0] * height_part == image.size[1] * width_part, image.size
    service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(0, True), FrameReview(1, True)])

    done = service.generate_video(user_id=USER, workflow_id=workflow.id, model="veo-3", fps=12)
    video = done.video_output
    assert (video.model, video.provider, video.duration, video.fps) == ("veo-3", "offline", 5, 12)
    with av.open(str(service.media.local_path(video.video_key))) as container:
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        frames = sum(1 for _ in container.decode(stream))
    assert width * height_part == height * width_part, (width, height)
    assert (frames, float(stream.average_rate)) == (60, 12.0)
