"""Replicate frame and video generators: build each model's input, run it, capture the output at once."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import av

from services.providers.base import FrameRequest, FrameResult, VideoRequest, VideoResult
from services.providers.catalog import ModelSpec, plan_video
from services.providers.media_capture import MediaFetcher
from services.providers.replicate_runner import (  # noqa: F401 - re-exported: the adapter's public surface
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
        if self.spec.inputs == "dalle":
            return {"prompt": request.prompt, "aspect_ratio": aspect_ratio_of(request.width, request.height)}
        if self.spec.inputs == "flux":  # an aspect ratio and a seed; PNG so nothing is lost before we store it
            return {
                "prompt": request.prompt,
                "aspect_ratio": aspect_ratio_of(request.width, request.height),
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
        """Run the prediction and capture its first image right away."""
        prediction = self.runner.run(self.spec, self.frame_input(request), request.user_id)
        return FrameResult(image=self.fetcher.fetch_image(output_urls(prediction)[0]), provider=PROVIDER)


class ReplicateVideoGenerator:
    """Veo video: one clip, or several planned clips joined, each opening on an approved frame."""

    def __init__(self, spec: ModelSpec, runner: PredictionRunner, fetcher: MediaFetcher) -> None:
        self.spec = spec
        self.runner = runner
        self.fetcher = fetcher

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        """Plan the clips (refusing what the model can't do), render and capture each, then join them."""
        ratio = aspect_ratio_of(request.width, request.height)
        plan = plan_video(self.spec, seconds=request.duration, fps=request.fps, aspect_ratio=ratio)
        clip_paths = []
        for index, seconds in enumerate(plan.clips):
            model_input: dict[str, Any] = {
                "prompt": _clip_prompt(request.prompt, index, len(plan.clips)),
                "duration": seconds,
                "aspect_ratio": ratio,
                "resolution": "720p",
            }
            if self.spec.sound:  # sent explicitly: Veo's default (true) bills the dearer per-second price
                model_input["generate_audio"] = request.sound
            if request.seed is not None:
                model_input["seed"] = request.seed
            attachments = {}
            if self.spec.first_frame and request.frame_images:
                which = index * len(request.frame_images) // len(plan.clips)
                key = request.frame_keys[which] if which < len(request.frame_keys) else None
                attachments["image"] = Attachment(request.frame_images[which], media_key=key)
            prediction = self.runner.run(
                self.spec, model_input, request.user_id, sub=f"clip-{index}", attachments=attachments
            )
            path = output_path.with_name(f"{output_path.stem}-clip{index}.mp4")
            self.fetcher.fetch_video(output_urls(prediction)[0], path)
            clip_paths.append(path)
        frames = join_clips(clip_paths, output_path)
        return VideoResult(path=output_path, frame_count=frames, provider=PROVIDER)


def _clip_prompt(prompt: str, index: int, count: int) -> str:
    if count == 1:
        return prompt
    return f"{prompt}\n\nThis is part {index + 1} of {count} of one continuous video; continue seamlessly."


def join_clips(clips: list[Path], output_path: Path) -> int:
    """Concatenate clips into output_path (one clip is kept as is, audio included); returns the frame count."""
    if len(clips) == 1:
        clips[0].replace(output_path)
        with av.open(str(output_path)) as container:
            return sum(1 for _ in container.decode(video=0))
    frames = 0
    with av.open(str(output_path), "w", format="mp4") as out:
        stream = None
        for clip in clips:
            with av.open(str(clip)) as source:
                rate = source.streams.video[0].average_rate or 24
                for frame in source.decode(video=0):
                    if stream is None:
                        stream = out.add_stream("libx264", rate=rate)
                        stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, "yuv420p"
                    picture = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
                    picture.pts = frames
                    out.mux(stream.encode(picture))
                    frames += 1
            clip.unlink(missing_ok=True)
        if stream is not None:
            out.mux(stream.encode(None))
    return frames
