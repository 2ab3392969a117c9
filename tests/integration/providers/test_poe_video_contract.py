"""Poe video bots through chat completions: the reply's video URL is captured into our media store."""

from __future__ import annotations

import json

import httpx
import pytest

from services.bootstrap import build_job_runner
from services.core.errors import ProviderError
from services.providers.wiring import build_registry
from services.storage.media_store import FileMediaStore
from services.studio.service import VideoWorkflowService
from services.workflows.repository import MongoWorkflowRepository
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.providers import (
    Recorder,
    a_video_request,
    chat_completion,
    mp4_bytes,
    png_bytes,
    provider_settings,
    transports,
)

POE_VIDEO = "https://pfst.cf2.poecdn.net/base/video/5e1b8f0c2a7d4e6f9b3c1a2d4e6f8a0b"


def video_reply(content: str) -> httpx.Response:
    """The OpenAI-shaped chat completion a Poe media bot answers with (stream false)."""
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-vid",
            "object": "chat.completion",
            "created": 1764621000,
            "model": "Video-Generator-PRO",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 60, "completion_tokens": 12, "total_tokens": 72},
        },
    )


def test_a_poe_video_bot_reply_link_is_downloaded_from_poes_media_host_into_the_video(tmp_path):
    poe = Recorder(video_reply(f"Your video is ready.\n\n[video.mp4]({POE_VIDEO})"))
    media = Recorder(httpx.Response(200, content=mp4_bytes(tmp_path, seconds=1)))
    registry = build_registry(
        provider_settings(tmp_path, REPLICATE_API_KEY=None), transports=transports(poe=poe, media=media)
    )
    generator = registry.video_generator("Video-Generator-PRO")
    assert generator.provider_name == "poe"

    result = generator.implementation.generate_video(
        a_video_request(frames=(png_bytes(64, 36),), duration=5), tmp_path / "out.mp4"
    )

    body = json.loads(poe.requests[0].content)
    assert (poe.requests[0].url.path, body["model"], body["stream"]) == (
        "/v1/chat/completions",
        "Video-Generator-PRO",
        False,
    )
    text, image = body["messages"][0]["content"]
    assert "Duration: 5 seconds" in text["text"] and image["image_url"]["url"].startswith("data:image/png;base64,")
    assert [str(r.url) for r in media.requests] == [POE_VIDEO]
    assert result.frame_count == 5 * 24 and (tmp_path / "out.mp4").exists(), "exactly the 5 s asked for"


def test_a_bot_reply_without_a_video_fails_with_what_the_bot_said(tmp_path):
    poe = Recorder(video_reply("I can't make videos of that, sorry."))
    registry = build_registry(provider_settings(tmp_path, REPLICATE_API_KEY=None), transports=transports(poe=poe))
    with pytest.raises(ProviderError, match="answered without a video: I can't make videos of that"):
        registry.video_generator("veo-3-poe").implementation.generate_video(
            a_video_request(frames=(png_bytes(64, 36),), duration=8), tmp_path / "out.mp4"
        )
    assert len(poe.requests) == 1, "a paid reply is not asked for again"


def test_a_user_with_only_a_poe_key_makes_a_real_video_stored_in_media(db, tmp_path):
    def poe_answer(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["model"] == "Veo-3":
            return video_reply(f"![video]({POE_VIDEO})")
        return chat_completion("A paper boat drifts down a rain-soaked street at dusk.")

    poe = Recorder(poe_answer)
    media = Recorder(httpx.Response(200, content=mp4_bytes(tmp_path, seconds=8)))
    settings = provider_settings(tmp_path, REPLICATE_API_KEY=None)
    service = VideoWorkflowService(
        repository=MongoWorkflowRepository(db),
        media=FileMediaStore(settings.media_dir),
        settings=settings,
        jobs=build_job_runner(db, settings),
        models=build_registry(settings, transports=transports(poe=poe, media=media)),
    )
    workflow = service.create_workflow(user_id="u1", brief=a_brief(duration=8, video_model="veo-3-poe"))
    service.refine_prompt(user_id="u1", workflow_id=workflow.id)
    service.generate_frames(user_id="u1", workflow_id=workflow.id, frame_count=1)
    service.review_frames(user_id="u1", workflow_id=workflow.id, reviews=[FrameReview(0, True)])
    done = service.generate_video(user_id="u1", workflow_id=workflow.id, fps=24)

    video = done.video_output
    assert (video.model, video.provider, video.duration) == ("veo-3-poe", "poe", 8)
    assert service.media.get_bytes(video.video_key)[4:8] == b"ftyp", "the MP4 is in our own media store"
    assert [json.loads(r.content)["model"] for r in poe.requests] == ["GPT-4o", "Veo-3"]
