"""Replicate contract, issue 18: large first frames go as files, `aborted` ends a prediction, Veo gets generate_audio."""

from __future__ import annotations

import io
import json
import os

import httpx
import pytest
from PIL import Image

from services.core.clock import utc_now
from services.core.errors import ProviderError
from services.providers.replicate_runner import PredictionState
from services.providers.wiring import build_registry
from services.webhooks.inbox import WebhookInbox
from tests.integration.test_webhook_inbox import NOW, SECRET, CaptureRecorder, delivery
from tests.support.providers import (
    Recorder,
    a_frame_request,
    a_video_request,
    mp4_bytes,
    png_bytes,
    prediction,
    provider_settings,
    transports,
)
from tests.unit.providers.test_replicate_contract import frames_with

VIDEO_URL = "https://replicate.delivery/xezq/v.mp4"
FILE_URL = "https://api.replicate.com/v1/files/ZTg4ZjAxNzItYWY0NC00NjRmLWE2NjgtYzU2YTRkMGIyNGJh"


def large_png() -> bytes:
    """A 640x360 noise PNG (a 16:9 brief's frame): about 700 kB, past Replicate's 256 kB limit for data: URLs."""
    image = Image.frombytes("RGB", (640, 360), os.urandom(640 * 360 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def file_object(metadata: dict | None = None) -> httpx.Response:
    """Replicate's file object (POST /v1/files), as the replicate client models it."""
    return httpx.Response(
        201,
        json={
            "id": "ZTg4ZjAxNzItYWY0NC00NjRmLWE2NjgtYzU2YTRkMGIyNGJh",
            "name": "first-frame.png",
            "content_type": "image/png",
            "size": 1048576,
            "etag": '"d41d8cd98f00b204e9800998ecf8427e"',
            "checksums": {"sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
            "metadata": metadata or {},
            "created_at": "2026-12-01T21:00:00.000Z",
            "expires_at": "2026-12-02T21:00:00.000Z",
            "urls": {"get": FILE_URL},
        },
    )


def veo(tmp_path, replicate: Recorder, model: str = "veo-3", sign_media=None, **settings):
    media = Recorder(httpx.Response(200, content=mp4_bytes(tmp_path, seconds=1)))
    registry = build_registry(
        provider_settings(tmp_path, **settings),
        transports=transports(replicate=replicate, media=media),
        sign_media=sign_media,
    )
    return registry.video_generator(model).implementation


def veo_answers(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v1/files":
        return file_object(json.loads(_form_field(request, "metadata") or "{}"))
    return prediction("succeeded", output=VIDEO_URL, model="google/veo-3", version="hidden")


def _form_field(request: httpx.Request, name: str) -> str | None:
    body = request.content.decode("latin-1")
    marker = f'name="{name}"\r\n\r\n'
    if marker not in body:
        return None
    return body.split(marker, 1)[1].split("\r\n--", 1)[0]


def test_a_first_frame_over_256_kb_is_uploaded_through_the_files_api_and_sent_as_its_url(tmp_path):
    replicate = Recorder(veo_answers)
    frame = large_png()
    assert len(frame) > 256 * 1024
    veo(tmp_path, replicate).generate_video(a_video_request(frames=(frame,), duration=8), tmp_path / "v.mp4")

    upload, create = replicate.requests[0], replicate.requests[1]
    assert (upload.method, upload.url.path) == ("POST", "/v1/files")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert 'name="content"; filename="first-frame.png"' in upload.content.decode("latin-1")
    assert frame in upload.content, "the frame's bytes are uploaded as they are"
    assert "intent" in json.loads(_form_field(upload, "metadata"))
    assert create.url.path == "/v1/models/google/veo-3/predictions"
    sent = json.loads(create.content)["input"]
    assert sent["image"] == FILE_URL
    assert len(create.content) < 4096, "no data: URL of a megabyte in the create"


def test_a_first_frame_under_256_kb_stays_an_inline_data_url(tmp_path):
    replicate = Recorder(veo_answers)
    veo(tmp_path, replicate).generate_video(a_video_request(frames=(png_bytes(64, 36),), duration=8), tmp_path / "v.mp4")
    assert [r.url.path for r in replicate.requests if r.method == "POST"] == ["/v1/models/google/veo-3/predictions"]
    assert json.loads(replicate.requests[0].content)["input"]["image"].startswith("data:image/png;base64,")


def test_with_a_public_base_url_a_large_frame_is_sent_as_a_signed_url_and_nothing_is_uploaded(tmp_path):
    replicate = Recorder(veo_answers)
    signed: list[tuple[str, int]] = []

    def sign(key: str, ttl: int) -> str:
        signed.append((key, ttl))
        return f"/api/media/signed/{key}?exp=1795500000&sig=abc"

    generator = veo(tmp_path, replicate, sign_media=sign, PUBLIC_BASE_URL="https://studio.example.com/")
    request = a_video_request(frames=(large_png(),), duration=8)
    request = type(request)(**{**request.__dict__, "frame_keys": ("wf1/frames/frame-1.png",)})
    generator.generate_video(request, tmp_path / "v.mp4")

    assert "/v1/files" not in [r.url.path for r in replicate.requests]
    sent = json.loads(replicate.requests[0].content)["input"]
    assert sent["image"] == "https://studio.example.com/api/media/signed/wf1/frames/frame-1.png?exp=1795500000&sig=abc"
    assert signed == [("wf1/frames/frame-1.png", 3600)]


@pytest.mark.parametrize("sound", [True, False], ids=["sound-on", "sound-off"])
def test_veo_is_sent_generate_audio_explicitly_from_the_briefs_sound_option(tmp_path, sound):
    replicate = Recorder(veo_answers)
    request = a_video_request(frames=(png_bytes(64, 36),), duration=8)
    request = type(request)(**{**request.__dict__, "sound": sound})
    veo(tmp_path, replicate).generate_video(request, tmp_path / "v.mp4")
    assert json.loads(replicate.requests[0].content)["input"]["generate_audio"] is sound


def test_an_aborted_prediction_found_by_polling_ends_the_wait_with_a_retryable_error(tmp_path):
    replicate = Recorder(prediction("starting"), prediction("processing"), prediction("aborted"))
    with pytest.raises(ProviderError, match="aborted by Replicate before it started") as failure:
        frames_with(tmp_path, replicate).generate_frame(a_frame_request())
    assert failure.value.retryable
    assert [r.method for r in replicate.requests] == ["POST", "GET", "GET"], "no more polling after aborted"


def test_an_aborted_webhook_is_terminal_in_the_inbox_and_a_late_start_does_not_reopen_it(db):
    capture = CaptureRecorder()
    inbox = WebhookInbox(db, secret=SECRET, capture=capture, clock=utc_now, now_seconds=lambda: NOW)
    outcome = inbox.receive(*delivery("aborted", message_id="msg_1"))
    assert (outcome.status, outcome.duplicate, outcome.capture_due) == ("aborted", False, False)
    late = inbox.receive(*delivery("starting", message_id="msg_2"))
    assert not late.duplicate and not late.capture_due
    assert inbox.prediction("pred-1")["status"] == "aborted" and capture.calls == []


def test_the_runner_reads_a_status_the_client_library_rejects():
    # replicate==1.0.7 (the newest on PyPI, checked 2026-12-01) refuses "aborted"; when a release accepts it,
    # this test fails and the runner can go back to the library's Prediction model.
    from replicate.prediction import Prediction

    body = json.loads(prediction("aborted").content)
    with pytest.raises(ValueError, match="aborted"):
        Prediction(**body)
    assert PredictionState.of(body).status == "aborted"
