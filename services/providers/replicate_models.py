"""Replicate frame and video generators: build each model's input, run it, capture the output at once."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from PIL import Image

from services.core.job_scope import cancel_requested, expected_seconds, report_progress
from services.providers.base import FrameRequest, FrameResult, VideoRequest, VideoResult
from services.providers.catalog import ModelSpec, native_aspect_ratio, plan_video, ratio_size
from services.providers.clip_video import ClipOrder, Report, render_planned
from services.providers.media_capture import MediaFetcher
from services.providers.replicate_runner import (  # noqa: F401 - re-exported: the adapter's public surface
    DEFAULT_EXPECTED_SECONDS,
    PROVIDER,
    Attachment,
    ClientFactory,
    NotSentError,
    PredictionRunner,
    PredictionState,
    build_client,
    map_replicate_error,
    output_urls,
    raise_for_rate_limit,
)
from services.providers.video_finishing import CROP, reframe_image

VEO_720P_LONG_SIDE = 1280  # clips are asked for at 720p: 1280x720 or 720x1280
NEGATIVE_PROMPT = "text, watermark, logo, blurry, deformed, extra limbs, low quality"


def aspect_ratio_of(width: int, height: int) -> str:
    """'16:9' for 1024x576."""
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


class ReplicateFrameGenerator:
    """Storyboard frames from SDXL (seed and size) or DALL-E 3 (aspect ratio)."""

    def __init__(self, spec: ModelSpec, runner: PredictionRunner, fetcher: MediaFetcher) -> None:
        self.spec = spec
        self.runner = runner
        self.fetcher = fetcher

    def frame_input(self, request: FrameRequest) -> dict[str, Any]:
        """The model input for one frame; the workflow's seed keeps frames consistent."""
        # A ratio the model lacks is drawn at its nearest native one and cropped to the brief's (generate_frame).
        ratio = native_aspect_ratio(self.spec, aspect_ratio_of(request.width, request.height))
        if self.spec.inputs == "dalle":
            return {"prompt": request.prompt, "aspect_ratio": ratio}
        if self.spec.inputs == "flux":  # an aspect ratio and a seed; PNG so nothing is lost before we store it
            return {
                "prompt": request.prompt,
                "aspect_ratio": ratio,
                "seed": request.seed,
                "output_format": "png",
            }
        return {
            "prompt": request.prompt,
            "negative_prompt": NEGATIVE_PROMPT,
            "width": request.width,
            "height": request.height,
            "num_outputs": 1,
            "seed": request.seed,
        }

    def generate_frame(self, request: FrameRequest) -> FrameResult:
        """Run the prediction and capture its first image right away, at exactly the size (and ratio) asked."""
        label = f"Frame {request.frame_number + 1} of {request.frame_count} · {request.scene}"
        prediction = self.runner.run(self.spec, self.frame_input(request), request.user_id, label=label)
        image = self.fetcher.fetch_image(output_urls(prediction)[0])
        if image_size(image) != (request.width, request.height):
            image = reframe_image(image, request.width, request.height, CROP)
        return FrameResult(image=image, provider=PROVIDER)


class ReplicateVideoGenerator:
    """Veo video: the planned clips at 24 fps and a native ratio, each opening on an approved frame, then finished."""

    def __init__(self, spec: ModelSpec, runner: PredictionRunner, fetcher: MediaFetcher) -> None:
        self.spec = spec
        self.runner = runner
        self.fetcher = fetcher

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        """Plan the clips (refusing only what can't be delivered), render and capture each, then finish them."""
        plan = plan_video(self.spec, seconds=request.duration, fps=request.fps, aspect_ratio=request.ratio)
        expected = expected_seconds(
            self.spec.model_id, max(plan.clips), self.spec.expected_seconds or DEFAULT_EXPECTED_SECONDS
        )

        def render_clip(order: ClipOrder, report: Report) -> Path:
            model_input: dict[str, Any] = {
                "prompt": order.prompt,
                "duration": order.seconds,
                "aspect_ratio": order.aspect_ratio,
                "resolution": "720p",
            }
            if self.spec.sound:  # sent explicitly: Veo's default (true) bills the dearer per-second price
                model_input["generate_audio"] = request.sound
            if request.seed is not None:
                model_input["seed"] = request.seed
            attachments = {}
            if self.spec.first_frame and order.opening is not None:
                # As stored (its media key lets a signed URL name it) unless it had to be padded to the native ratio.
                attachments["image"] = Attachment(order.opening, media_key=order.opening_key)
            prediction = self.runner.run(
                self.spec,
                model_input,
                request.user_id,
                sub=f"clip-{order.index}",
                attachments=attachments,
                label=f"{self.spec.model_id} is rendering {order.label}",
                output_seconds=order.seconds,
                report=report,
                eta_after=expected * (order.count - order.index - 1),
            )
            self.fetcher.fetch_video(output_urls(prediction)[0], order.path)
            return order.path

        frames = render_planned(
            plan,
            request,
            output_path,
            clip_size=lambda ratio: ratio_size(ratio, VEO_720P_LONG_SIDE),
            render_clip=render_clip,
            report=lambda fraction, message, eta: report_progress(
                round(fraction * 10_000), 10_000, message, eta_seconds=eta
            ),
            canceled=cancel_requested,
        )
        return VideoResult(path=output_path, frame_count=frames, provider=PROVIDER)


def image_size(image: bytes) -> tuple[int, int]:
    """(width, height) of an image."""
    with Image.open(io.BytesIO(image)) as picture:
        return picture.size
