"""Offline animatic renderer: approved frames become a real H.264 MP4 with pan/zoom and crossfades."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from services.providers.base import VideoRequest, VideoResult

ZOOM_RANGE = 0.12  # each shot moves through 12% of zoom: visible, never dizzying
CROSSFADE_SECONDS = 0.5
X264_OPTIONS = {"preset": "veryfast", "crf": "23"}


@dataclass(frozen=True)
class EncoderSettings:
    """The codec settings, shared with the benchmark so it compares like with like."""

    codec: str = "libx264"
    pix_fmt: str = "yuv420p"
    preset: str = X264_OPTIONS["preset"]
    crf: str = X264_OPTIONS["crf"]


class OfflineAnimaticRenderer:
    """Renders exactly duration × fps frames: one Ken Burns shot per key frame, crossfaded."""

    def __init__(self, encoder: EncoderSettings | None = None) -> None:
        self.encoder = encoder or EncoderSettings()

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        """Encode the animatic to output_path."""
        shots = [_decode_rgb(image, request.width, request.height) for image in request.frame_images]
        total = request.duration * request.fps
        with av.open(str(output_path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream: av.VideoStream = container.add_stream(self.encoder.codec, rate=request.fps)  # type: ignore[assignment]
            stream.width, stream.height, stream.pix_fmt = request.width, request.height, self.encoder.pix_fmt
            stream.options = {"preset": self.encoder.preset, "crf": self.encoder.crf}
            moves = compose_frames(shots, total_frames=total, fps=request.fps, first_move=(request.seed or 0) % 2)
            for index, yuv in enumerate(moves):
                frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                frame.pts = index
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return VideoResult(path=output_path, frame_count=total)


def _decode_rgb(image: bytes, width: int, height: int) -> np.ndarray:
    decoded = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise ValueError("a frame image could not be decoded")
    if decoded.shape[1] != width or decoded.shape[0] != height:
        decoded = cv2.resize(decoded, (width, height), interpolation=cv2.INTER_AREA)
    return decoded  # BGR, which is fine: the conversion below says so


def compose_frames(shots: list[np.ndarray], *, total_frames: int, fps: int, first_move: int = 0) -> Iterator[np.ndarray]:
    """Yield total_frames YUV420p frames: pan/zoom within each shot, crossfades between shots.

    first_move 0 zooms in on the first shot, 1 zooms out (a variation's seed picks it).
    """
    count = len(shots)
    height, width = shots[0].shape[:2]
    fade_fraction = min(0.3, CROSSFADE_SECONDS * fps * count / max(1, total_frames))
    for index in range(total_frames):
        position = index * count / total_frames
        shot = min(int(position), count - 1)
        progress = position - shot
        picture = _ken_burns(shots[shot], shot + first_move, progress, width, height)
        fade_start = 1 - fade_fraction
        if shot < count - 1 and progress > fade_start:
            weight = (progress - fade_start) / fade_fraction
            incoming = _ken_burns(shots[shot + 1], shot + 1 + first_move, 0.0, width, height)
            picture = cv2.addWeighted(picture, 1 - weight, incoming, weight, 0)
        yield cv2.cvtColor(picture, cv2.COLOR_BGR2YUV_I420)


def _ken_burns(image: np.ndarray, shot: int, progress: float, width: int, height: int) -> np.ndarray:
    """Zoom in on even shots and out on odd ones, drifting sideways in alternating directions."""
    zoom = 1 + ZOOM_RANGE * (progress if shot % 2 == 0 else 1 - progress)
    drift = progress if shot % 2 == 0 else 1 - progress
    x0 = (width - width / zoom) * drift
    y0 = (height - height / zoom) / 2
    matrix = np.array([[zoom, 0, -x0 * zoom], [0, zoom, -y0 * zoom]], dtype=np.float32)
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
