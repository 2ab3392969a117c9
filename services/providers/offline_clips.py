"""The offline stand-in for a clip model (Veo): its real plan, rate, ratio and limits, with an animatic per clip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from services.providers.base import VideoRequest, VideoResult
from services.providers.catalog import ModelSpec, plan_video, ratio_size
from services.providers.clip_video import ClipOrder, Report, render_planned
from services.providers.offline_animatic import OfflineAnimaticRenderer
from services.providers.progress import job_progress

OFFLINE = "offline"
CLIP_LONG_SIDE = 1024  # the stand-in renders clips smaller than 720p Veo, to stay quick


class OfflineClipVideo:
    """Plans exactly as the real model (refusing what it refuses), renders each clip as an animatic, finishes alike."""

    def __init__(self, spec: ModelSpec, renderer: OfflineAnimaticRenderer | None = None) -> None:
        self.spec = spec
        self.renderer = renderer or OfflineAnimaticRenderer()

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        """The clips at the model's rate and native ratio, joined, trimmed, converted and reframed as asked."""
        plan = plan_video(self.spec, seconds=request.duration, fps=request.fps, aspect_ratio=request.ratio)

        def render_clip(order: ClipOrder, report: Report) -> Path:
            clip = dataclasses.replace(
                request,
                frame_images=order.frames,
                duration=order.seconds,
                fps=order.fps,
                width=order.width,
                height=order.height,
                aspect_ratio=order.aspect_ratio,
            )
            total = order.seconds * order.fps

            def progress(done: int, frames: int) -> None:
                message = f"{self.spec.model_id} (offline) is rendering {order.label}: frame {done:,} of {frames:,}"
                report(done / max(1, frames), message, None)

            self.renderer.generate_video(clip, order.path, progress=progress)
            report(1.0, f"{self.spec.model_id} (offline) rendered {order.label} ({total:,} frames)", None)
            return order.path

        frames = render_planned(
            plan,
            request,
            output_path,
            clip_size=lambda ratio: ratio_size(ratio, CLIP_LONG_SIDE),
            render_clip=render_clip,
            report=_job_report,
        )
        return VideoResult(path=output_path, frame_count=frames, provider=OFFLINE)


def _job_report(fraction: float, message: str, eta: float | None) -> None:
    job_progress(round(fraction * 10_000), 10_000, message)
