"""A planned video from a clip model: each clip at the model's own rate and native ratio, then finished as asked.

Both the real clip models (Veo on Replicate) and their offline stand-ins go through `render_planned`, so a demo
without keys plans, accepts and refuses exactly what production does, and delivers the same kind of file.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from services.providers.base import VideoRequest
from services.providers.catalog import VideoPlan
from services.providers.video_finishing import BLURRED_PAD, finish_video, reframe_image

# (fraction of this video done, what is happening, seconds left if known); the job layer keeps it monotonic.
Report = Callable[[float, str, float | None], None]
RENDER_SHARE = 0.85  # of the progress bar: the clips; the rest is finishing (join, trim, rate, ratio)


@dataclass(frozen=True)
class ClipOrder:
    """One clip to render: its place, length, the model's rate and native ratio, and the frames it starts from."""

    index: int
    count: int
    seconds: int
    fps: int
    aspect_ratio: str
    width: int
    height: int
    prompt: str
    frames: tuple[bytes, ...]  # this part's approved frames, padded to the native ratio with the subject centred
    path: Path
    opening_key: str | None = None  # the opening frame's media key, when it is sent as stored (already native)

    @property
    def opening(self) -> bytes | None:
        """The frame the clip opens on."""
        return self.frames[0] if self.frames else None

    @property
    def label(self) -> str:
        """'clip 2 of 4'."""
        return f"clip {self.index + 1} of {self.count}"


RenderClip = Callable[[ClipOrder, Report], Path]  # renders order.path (reporting its own 0..1) and returns it


def part_frames(frames: tuple[bytes, ...], index: int, count: int) -> tuple[bytes, ...]:
    """The approved frames that tell clip `index` of `count`'s part of the story (at least its opening one)."""
    return tuple(frames[i] for i in part_indexes(len(frames), index, count))


def part_indexes(frames: int, index: int, count: int) -> range:
    """Which of `frames` approved frames tell clip `index` of `count`."""
    if not frames:
        return range(0)
    start = index * frames // count
    return range(start, max(start + 1, (index + 1) * frames // count))


def at_native(image: bytes, width: int, height: int) -> bytes:
    """The frame as the model gets it: as stored when its ratio is native already, else padded whole and centred."""
    with Image.open(io.BytesIO(image)) as picture:
        if picture.width * height == picture.height * width:
            return image
    return reframe_image(image, width, height, BLURRED_PAD)


def render_planned(
    plan: VideoPlan,
    request: VideoRequest,
    output_path: Path,
    *,
    clip_size: Callable[[str], tuple[int, int]],
    render_clip: RenderClip,
    report: Report | None = None,
    canceled: Callable[[], bool] = lambda: False,
) -> int:
    """Render every clip of the plan, then finish them into output_path; returns the delivered frame count."""
    notify = report or (lambda fraction, message, eta: None)
    width, height = clip_size(plan.model_aspect_ratio)
    paths = []
    count = len(plan.clips)
    for index, seconds in enumerate(plan.clips):
        which = part_indexes(len(request.frame_images), index, count)
        frames = tuple(at_native(request.frame_images[i], width, height) for i in which)
        first = which[0] if which else None
        kept = first is not None and frames[0] is request.frame_images[first] and first < len(request.frame_keys)
        order = ClipOrder(
            index=index,
            count=count,
            seconds=seconds,
            fps=plan.model_fps,
            aspect_ratio=plan.model_aspect_ratio,
            width=width,
            height=height,
            prompt=clip_prompt(request.prompt, index, count),
            # Frames are made at the brief's ratio; the model gets its part's at its native one, whole and centred.
            frames=frames,
            path=output_path.with_name(f"{output_path.stem}-clip{index}.mp4"),
            opening_key=request.frame_keys[first] if kept and first is not None else None,
        )

        def clip_report(fraction: float, message: str, eta: float | None, index: int = index) -> None:
            notify(RENDER_SHARE * (index + min(1.0, max(0.0, fraction))) / count, message, eta)

        paths.append(render_clip(order, clip_report))

    def finishing(done: int, frames: int, message: str) -> None:
        notify(RENDER_SHARE + (1 - RENDER_SHARE) * done / max(1, frames), message, None)

    try:
        encoded = finish_video(
            paths,
            output_path,
            seconds=plan.seconds,
            fps=plan.fps,
            width=request.width,
            height=request.height,
            reframe=request.reframe,
            progress=finishing,
            canceled=canceled,
        )
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    notify(1.0, f"Encoded all {encoded:,} frames", 0.0)
    return encoded


def clip_prompt(prompt: str, index: int, count: int) -> str:
    """The prompt for one clip of several: the same story, continued seamlessly."""
    if count == 1:
        return prompt
    return f"{prompt}\n\nThis is part {index + 1} of {count} of one continuous video; continue seamlessly."
