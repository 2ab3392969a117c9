"""The animatic renderer composes on YUV planes: same pictures as the BGR reference, a playable MP4, progress per frame."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pytest

from services.providers.base import FrameRequest, VideoRequest
from services.providers.offline_animatic import OfflineAnimaticRenderer, _decode_rgb, compose_frames
from services.providers.offline_storyboard import OfflineStoryboardRenderer
from tests.support.animatic_reference import reference_frames

WIDTH, HEIGHT, FPS = 1024, 576, 30


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 pictures, in dB."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


@pytest.fixture(scope="module")
def stills() -> tuple[bytes, ...]:
    """Three real storyboard frames, as bench/animatic.py renders."""
    renderer = OfflineStoryboardRenderer()
    return tuple(
        renderer.generate_frame(
            FrameRequest(
                workflow_id="w",
                frame_number=n,
                frame_count=3,
                scene=scene,
                prompt=f"Concept: benchmark scene {n}",
                width=WIDTH,
                height=HEIGHT,
                seed=n,
                model="offline-storyboard",
            )
        ).image
        for n, scene in enumerate(("Opening", "Middle", "Closing"), start=1)
    )


def request_for(stills: tuple[bytes, ...], seconds: int) -> VideoRequest:
    return VideoRequest(
        workflow_id="w", prompt="", frame_images=stills, duration=seconds, fps=FPS, width=WIDTH, height=HEIGHT, model="m"
    )


def test_every_composed_frame_matches_the_bgr_reference_within_35_db(stills):
    shots = [_decode_rgb(image, WIDTH, HEIGHT) for image in stills]
    total = 4 * FPS  # crossfades and both zoom directions included
    ours = (frame.copy() for frame in compose_frames(shots, total_frames=total, fps=FPS))
    worst = min(psnr(a, b) for a, b in zip(ours, reference_frames(shots, total_frames=total, fps=FPS), strict=True))
    assert worst >= 35, f"worst frame {worst:.1f} dB"


def test_the_mp4_plays_with_every_frame_and_matches_the_reference(stills, tmp_path: Path):
    calls: list[tuple[int, int]] = []
    request = request_for(stills, 2)
    result = OfflineAnimaticRenderer().generate_video(
        request, tmp_path / "a.mp4", progress=lambda n, m: calls.append((n, m))
    )
    shots = [_decode_rgb(image, WIDTH, HEIGHT) for image in stills]
    reference = list(reference_frames(shots, total_frames=2 * FPS, fps=FPS))
    with av.open(str(result.path)) as container:
        decoded = [frame.to_ndarray(format="yuv420p") for frame in container.decode(video=0)]
    assert len(decoded) == result.frame_count == 2 * FPS
    assert calls == [(n, 2 * FPS) for n in range(1, 2 * FPS + 1)], "progress after every encoded frame"
    worst = min(psnr(a, b) for a, b in zip(decoded, reference, strict=True))
    assert worst >= 35, f"worst decoded frame {worst:.1f} dB against the reference renderer"


def test_composing_is_faster_than_the_reference(stills):
    shots = [_decode_rgb(image, WIDTH, HEIGHT) for image in stills]
    total = 3 * FPS

    def seconds(frames) -> float:
        started = time.perf_counter()
        for _ in frames:
            pass
        return time.perf_counter() - started

    reference = min(seconds(reference_frames(shots, total_frames=total, fps=FPS)) for _ in range(2))
    ours = min(seconds(compose_frames(shots, total_frames=total, fps=FPS)) for _ in range(2))
    assert ours < reference, f"ours {ours:.2f} s, reference {reference:.2f} s"
