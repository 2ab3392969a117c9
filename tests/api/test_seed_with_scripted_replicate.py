"""The seed's client, verbatim, against a Replicate that enforces Veo's real limits: clips, rate and ratio converted."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from services.providers.wiring import Transports, build_registry
from tests.support.api_fixtures import ApiServer
from tests.support.providers import PUBLIC_ADDRESS, provider_settings
from tests.support.scripted_replicate import ScriptedReplicate
from tests.support.seed_client import assert_seed_outcome, run_seed_examples, video_facts


@pytest.fixture
def replicate() -> ScriptedReplicate:
    return ScriptedReplicate(seconds=0.3)


@pytest.fixture
def replicate_server(tmp_path, replicate: ScriptedReplicate, make_api_server: Callable[..., ApiServer]) -> ApiServer:
    """The API whose frame and video models are Replicate's (scripted), refinement offline (no Poe key)."""
    settings = provider_settings(tmp_path, POE_API_KEY=None, PREDICTION_POLL_SECONDS=0.05)
    transports = Transports(
        replicate=replicate.api, media=replicate.delivery, resolver=lambda host: [PUBLIC_ADDRESS], sleep=time.sleep
    )
    return make_api_server(build_registry(settings, transports=transports))


def test_the_seeds_client_gets_a_30_s_30_fps_video_from_24_fps_veo_clips_with_their_sound(
    replicate_server: ApiServer, replicate: ScriptedReplicate
):
    _, tokens = replicate_server.sign_up()
    origin = replicate_server.base_url.removesuffix("/api")
    with httpx.Client(base_url=origin, timeout=600, headers={"Authorization": f"Bearer {tokens['accessToken']}"}) as client:
        run = run_seed_examples(client, origin=origin, prefix="")
    assert_seed_outcome(run)
    assert run.workflow["videoOutput"]["provider"] == "replicate"
    assert (run.workflow["videoOutput"]["modelFps"], run.workflow["videoOutput"]["fps"]) == (24, 30)
    assert [i["duration"] for i in replicate.veo_inputs()] == [8, 8, 8, 6]
    assert {i["aspect_ratio"] for i in replicate.veo_inputs()} == {"16:9"} and not replicate.refused
    _, _, width, height, has_sound = video_facts(run.video)
    assert (width, height, has_sound) == (1024, 576, True), "Veo's sound survives the join and the conversion"


@pytest.mark.parametrize(("ratio", "native", "reframe"), [("1:1", "16:9", "crop"), ("4:5", "9:16", "blurred-pad")])
def test_a_ratio_veo_lacks_is_rendered_at_its_nearest_native_ratio_and_reframed_exactly(
    replicate_server: ApiServer, replicate: ScriptedReplicate, ratio: str, native: str, reframe: str
):
    _, client = replicate_server.user_client()
    client.timeout = httpx.Timeout(600)
    brief = {
        "title": "Square spot",
        "initialPrompt": "A cyclist at dawn",
        "metadata": {"duration": 5, "aspectRatio": ratio, "reframe": reframe},
    }
    workflow_id = client.post("/video-workflows", json=brief).json()["id"]
    base = f"/video-workflows/{workflow_id}"
    assert client.post(f"{base}/refine-prompt", json={}).status_code == 200
    framed = client.post(f"{base}/generate-frames", json={"frameCount": 2}).json()
    width_part, height_part = (int(p) for p in ratio.split(":"))
    assert all(f["width"] * height_part == f["height"] * width_part for f in framed["generatedFrames"])
    reviews = [{"frameNumber": n, "approved": True} for n in (0, 1)]
    assert client.post(f"{base}/review-frames", json={"frameReviews": reviews}).status_code == 200
    done = client.post(f"{base}/generate-video", json={"model": "veo-3", "fps": 24})
    assert done.status_code == 200, done.text
    output = done.json()["videoOutput"]
    assert (output["aspectRatio"], output["modelAspectRatio"], output["reframe"]) == (ratio, native, reframe)
    assert [i["aspect_ratio"] for i in replicate.veo_inputs()] == [native] and replicate.veo_inputs()[0]["duration"] == 6
    mp4 = client.get(output["videoUrl"].removeprefix("/api")).content
    seconds, fps, width, height, _ = video_facts(mp4)
    assert width * height_part == height * width_part, (width, height)
    assert (round(seconds, 3), fps) == (5.0, 24.0), "a 6 s clip trimmed to the 5 s asked for"
