"""The seed's usage examples as a client would write them: every request body exactly as written, over HTTP."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import av
import httpx

from tests.support import spec_examples as spec


@dataclass(frozen=True)
class SeedRun:
    """What the seed client saw: the finished workflow, the frame images before and after, and the MP4."""

    workflow: dict
    images_before: dict[int, bytes]
    images_after: dict[int, bytes]
    video: bytes


def wait_for_job(client: httpx.Client, steps: str, timeout: float = 300) -> dict:
    """Poll the workflow's job until it has finished; returns the job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"{steps}/job").json()
        if job["status"] not in ("QUEUED", "RUNNING"):
            return job
        time.sleep(0.25)
    raise AssertionError("the generation job did not finish")


def _accepted(response: httpx.Response) -> None:
    assert response.status_code in (200, 202), response.text


def run_seed_examples(client: httpx.Client, *, origin: str, prefix: str = "") -> SeedRun:
    """Send the seed's seven examples at `prefix` ("" is the seed's own paths, "/api" ours); client is signed in."""
    created = client.post(f"{prefix}/video-workflows", json=spec.CREATE_WORKFLOW)
    assert created.status_code == 201, created.text
    assert created.json()["campaignId"] == "campaign_123"
    steps = f"{prefix}/video-workflows/{created.json()['id']}"

    refined = client.post(f"{steps}/refine-prompt", json=spec.REFINE_PROMPT)
    assert refined.status_code == 200, refined.text
    _accepted(client.post(f"{steps}/generate-frames", json=spec.GENERATE_FRAMES))
    assert wait_for_job(client, steps)["status"] == "SUCCEEDED"
    framed = client.get(steps).json()
    before = {f["frameNumber"]: client.get(f"{origin}{f['imageUrl']}").content for f in framed["generatedFrames"]}

    reviewed = client.post(f"{steps}/review-frames", json=spec.REVIEW_FRAMES)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["framesApproved"] is False
    _accepted(client.post(f"{steps}/regenerate-frames", json=spec.REGENERATE_FRAMES))
    assert wait_for_job(client, steps)["status"] == "SUCCEEDED"
    approved = client.post(f"{steps}/review-frames", json=spec.APPROVE_FRAME_ONE)
    assert approved.status_code == 200, approved.text
    assert approved.json()["framesApproved"] is True

    _accepted(client.post(f"{steps}/generate-video", json=spec.GENERATE_VIDEO))
    job = wait_for_job(client, steps, timeout=600)
    assert job["status"] == "SUCCEEDED", job
    finished = client.get(steps).json()
    after = {f["frameNumber"]: client.get(f"{origin}{f['imageUrl']}").content for f in finished["generatedFrames"]}
    video = client.get(f"{origin}{finished['videoOutput']['videoUrl']}")
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    return SeedRun(finished, before, after, video.content)


def video_facts(mp4: bytes) -> tuple[float, float, int, int, bool]:
    """(seconds, fps, width, height, has audio) of an MP4, read back with PyAV by decoding every frame."""
    with av.open(io.BytesIO(mp4)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        rate = float(stream.average_rate)
        width, height = stream.codec_context.width, stream.codec_context.height
        has_audio = bool(container.streams.audio)
    return frames / rate, rate, width, height, has_audio


def assert_seed_outcome(run: SeedRun) -> None:
    """COMPLETED; only frame 1's image changed; the MP4 is 30.0 ± 0.1 s at 30 fps."""
    workflow = run.workflow
    assert (workflow["currentStep"], workflow["status"]) == ("COMPLETED", "COMPLETED")
    assert sorted(run.images_before) == sorted(run.images_after) == [0, 1, 2]
    changed = [number for number in run.images_before if run.images_before[number] != run.images_after[number]]
    assert changed == [1], "only frame 1, the one the review rejected, is regenerated"
    seconds, fps, _, _, _ = video_facts(run.video)
    assert abs(seconds - 30.0) <= 0.1 and fps == 30.0, (seconds, fps)
    output = workflow["videoOutput"]
    assert (output["model"], output["duration"], output["fps"]) == ("veo-3", 30, 30)
    assert output["finalPrompt"] and output["timestamp"]
    rounds = workflow["refinementIterations"]
    assert rounds[-1]["userPrompt"] == spec.REFINE_PROMPT["additionalInfo"] and rounds[-1]["refinementModel"] == "gpt-4o"
    assert all(
        {"frameNumber", "prompt", "imageUrl", "model", "approved", "timestamp"} <= set(f)
        for f in workflow["generatedFrames"]
    )
