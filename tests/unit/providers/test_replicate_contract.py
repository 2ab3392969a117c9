"""Replicate frame and video contract: the official client over httpx.MockTransport, media captured safely."""

from __future__ import annotations

import io
import json

import av
import httpx
import pytest
from PIL import Image

from services.core.errors import ProviderError
from services.providers.wiring import build_registry
from tests.support.providers import (
    SDXL_VERSION,
    Recorder,
    a_frame_request,
    a_video_request,
    mp4_bytes,
    png_bytes,
    prediction,
    provider_settings,
    replicate_problem,
    transports,
)

OUTPUT = "https://replicate.delivery/pbxt/abc/out-0.png"


def frames_with(
    tmp_path, replicate: Recorder, media: Recorder | None = None, sleeps=None, model="stable-diffusion-xl", **settings
):
    media = media or Recorder(httpx.Response(200, content=png_bytes()))
    registry = build_registry(
        provider_settings(tmp_path, **settings), transports=transports(replicate=replicate, media=media, sleeps=sleeps)
    )
    return registry.frame_generator(model).implementation


def video_with(tmp_path, model: str):
    """A video generator whose every prediction succeeds with a real one-second MP4."""
    replicate = Recorder(
        prediction("succeeded", output="https://replicate.delivery/xezq/v.mp4", model="google/veo-3", version="hidden")
    )
    media = Recorder(httpx.Response(200, content=mp4_bytes(tmp_path, seconds=1)))
    registry = build_registry(provider_settings(tmp_path), transports=transports(replicate=replicate, media=media))
    return replicate, registry.video_generator(model).implementation


def test_sdxl_runs_the_pinned_version_with_seed_and_size_and_the_output_is_captured(tmp_path):
    replicate = Recorder(prediction("starting"), prediction("processing"), prediction("succeeded", output=[OUTPUT]))
    media = Recorder(httpx.Response(200, content=png_bytes()))

    result = frames_with(tmp_path, replicate, media).generate_frame(a_frame_request(seed=1234))

    create = replicate.requests[0]
    assert (create.method, create.url.path) == ("POST", "/v1/predictions")
    assert create.headers["authorization"] == "Bearer r8_test_key_456"
    body = json.loads(create.content)
    assert body["version"] == SDXL_VERSION and "webhook" not in body
    assert {k: body["input"][k] for k in ("seed", "width", "height", "num_outputs")} == {
        "seed": 1234,
        "width": 1024,
        "height": 576,
        "num_outputs": 1,
    }
    assert [r.url.path for r in replicate.requests[1:]] == ["/v1/predictions/gm3qorzdhgbfurvjtvhg6dckhu"] * 2
    assert str(media.requests[0].url) == OUTPUT
    assert Image.open(io.BytesIO(result.image)).format == "PNG" and result.provider == "replicate"


def test_the_retired_dalle_3_is_served_by_flux_by_name_with_the_aspect_ratio_and_the_seed(tmp_path):
    replicate = Recorder(prediction("succeeded", output=OUTPUT, model="black-forest-labs/flux-1.1-pro", version="hidden"))
    frames_with(tmp_path, replicate, model="dalle-3").generate_frame(a_frame_request(width=576, height=1024))
    create = replicate.requests[0]
    assert create.url.path == "/v1/models/black-forest-labs/flux-1.1-pro/predictions"
    sent = json.loads(create.content)["input"]
    assert sent == {"prompt": "a runner", "aspect_ratio": "9:16", "seed": sent["seed"], "output_format": "png"}
    assert isinstance(sent["seed"], int)


def test_a_webhook_is_registered_when_a_public_base_url_is_configured(tmp_path):
    replicate = Recorder(prediction("succeeded", output=[OUTPUT]))
    frames_with(tmp_path, replicate, PUBLIC_BASE_URL="https://studio.example.com/").generate_frame(a_frame_request())
    body = json.loads(replicate.requests[0].content)
    # The webhook carries the job's intent (issue 18): a resumed job finds its prediction by it.
    assert body["webhook"].startswith("https://studio.example.com/api/webhooks/replicate?intent=")
    assert body["webhook_events_filter"] == ["start", "completed"]


def test_a_429_on_create_waits_for_retry_after_and_creates_once(tmp_path):
    sleeps: list[float] = []
    replicate = Recorder(
        replicate_problem(429, "Request was throttled.", headers={"Retry-After": "5"}),
        prediction("succeeded", output=[OUTPUT]),
    )
    frames_with(tmp_path, replicate, sleeps=sleeps).generate_frame(a_frame_request())
    assert sleeps == [5.0]
    assert [r.method for r in replicate.requests] == ["POST", "POST"]


def test_a_500_while_polling_is_retried_and_then_succeeds(tmp_path):
    replicate = Recorder(prediction("starting"), replicate_problem(500, "oops"), prediction("succeeded", output=[OUTPUT]))
    result = frames_with(tmp_path, replicate).generate_frame(a_frame_request())
    assert result.image and [r.method for r in replicate.requests] == ["POST", "GET", "GET"]


def test_a_500_on_create_is_not_blindly_retried_because_it_may_have_created_a_prediction(tmp_path):
    replicate = Recorder(replicate_problem(500, "oops"))
    with pytest.raises(ProviderError) as raised:
        frames_with(tmp_path, replicate).generate_frame(a_frame_request())
    assert len(replicate.requests) == 1 and raised.value.status == 500


def test_a_timeout_while_polling_is_retried_a_bounded_number_of_times(tmp_path):
    replicate = Recorder(prediction("starting"), httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderError) as raised:
        frames_with(tmp_path, replicate, PROVIDER_MAX_ATTEMPTS=3).generate_frame(a_frame_request())
    assert [r.method for r in replicate.requests] == ["POST", "GET", "GET", "GET"]
    assert raised.value.provider == "replicate" and "in time" in raised.value.message


def test_a_connect_timeout_on_create_is_retried_because_nothing_was_sent(tmp_path):
    replicate = Recorder(httpx.ConnectTimeout("no route"), prediction("succeeded", output=[OUTPUT]))
    assert frames_with(tmp_path, replicate).generate_frame(a_frame_request()).image
    assert [r.method for r in replicate.requests] == ["POST", "POST"]


def test_malformed_json_while_polling_is_retried_then_reported(tmp_path):
    replicate = Recorder(prediction("starting"), httpx.Response(200, content=b"<html>bad gateway</html>"))
    with pytest.raises(ProviderError) as raised:
        frames_with(tmp_path, replicate, PROVIDER_MAX_ATTEMPTS=2).generate_frame(a_frame_request())
    assert "malformed" in raised.value.message and len(replicate.requests) == 3


@pytest.mark.parametrize(
    ("final", "expected"),
    [
        (
            prediction("failed", error="NSFW content detected. Try running it again, or try a different prompt."),
            "stable-diffusion-xl failed: NSFW content detected.",
        ),
        (prediction("canceled"), "stable-diffusion-xl was canceled"),
    ],
)
def test_failed_and_canceled_predictions_become_typed_errors_with_the_models_text(tmp_path, final, expected):
    replicate = Recorder(prediction("starting"), final)
    media = Recorder(httpx.Response(200, content=png_bytes()))
    with pytest.raises(ProviderError) as raised:
        frames_with(tmp_path, replicate, media).generate_frame(a_frame_request())
    assert raised.value.message.startswith(expected) and not raised.value.retryable
    assert media.requests == [] and len(replicate.requests) == 2


@pytest.mark.parametrize(
    "redirect_to",
    ["https://127.0.0.1/steal", "http://replicate.delivery/x.png", "https://169.254.169.254/latest/meta-data/"],
)
def test_an_output_url_that_redirects_to_loopback_or_elsewhere_is_refused_and_nothing_is_fetched(tmp_path, redirect_to):
    replicate = Recorder(prediction("succeeded", output=[OUTPUT]))
    media = Recorder(httpx.Response(302, headers={"location": redirect_to}))
    with pytest.raises(ProviderError) as raised:
        frames_with(tmp_path, replicate, media).generate_frame(a_frame_request())
    assert [str(r.url) for r in media.requests] == [OUTPUT]
    assert "could not be saved" in raised.value.message


def test_the_first_frame_opens_the_veo_clip_and_the_mp4_is_captured_and_decoded(tmp_path):
    replicate, generator = video_with(tmp_path, "veo-3")
    target = tmp_path / "out.mp4"

    result = generator.generate_video(a_video_request(frames=(png_bytes(), png_bytes(32, 18)), duration=8), target)

    create = replicate.requests[0]
    assert create.url.path == "/v1/models/google/veo-3/predictions"
    model_input = json.loads(create.content)["input"]
    assert model_input["image"].startswith("data:image/png;base64,")
    assert (model_input["duration"], model_input["aspect_ratio"]) == (8, "16:9")
    assert result.frame_count == 8 * 24 and result.provider == "replicate", "exactly the 8 s asked for"
    with av.open(str(target)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 8 * 24


def test_a_video_longer_than_one_clip_is_planned_as_joined_clips_each_opening_on_a_frame(tmp_path):
    replicate, generator = video_with(tmp_path, "veo-3-fast")
    green = io.BytesIO()
    Image.new("RGB", (32, 18), (10, 200, 10)).save(green, format="PNG")
    frames = (png_bytes(64, 36), green.getvalue())  # two different approved frames

    result = generator.generate_video(a_video_request(frames=frames, duration=14), tmp_path / "joined.mp4")

    inputs = [json.loads(r.content)["input"] for r in replicate.requests]
    assert [i["duration"] for i in inputs] == [8, 6]
    assert inputs[0]["image"] != inputs[1]["image"]
    assert result.frame_count == 14 * 24


def test_veo_renders_a_square_video_at_16_9_and_it_is_reframed_to_square(tmp_path):
    replicate, generator = video_with(tmp_path, "veo-3")
    target = tmp_path / "square.mp4"
    generator.generate_video(a_video_request(width=1024, height=1024, duration=4, frames=(png_bytes(),)), target)
    assert json.loads(replicate.requests[0].content)["input"]["aspect_ratio"] == "16:9"
    with av.open(str(target)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1024, 1024)


def test_a_prediction_that_outlives_the_deadline_is_canceled_and_reported(tmp_path):
    replicate = Recorder(prediction("starting"), prediction("processing"))
    with pytest.raises(ProviderError, match="did not finish within 0 s"):
        frames_with(tmp_path, replicate, PREDICTION_DEADLINE_SECONDS=0.000001).generate_frame(a_frame_request())
    assert replicate.requests[-1].url.path.endswith("/cancel")
