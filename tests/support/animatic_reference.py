"""Today's animatic composition before it moved to YUV planes: warp BGR, blend, convert every frame.

Kept as the slow reference the renderer's frames are compared with (tests/unit/providers/test_animatic_speed.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from services.providers.offline_animatic import CROSSFADE_SECONDS, ZOOM_RANGE


def reference_frames(shots: list[np.ndarray], *, total_frames: int, fps: int, first_move: int = 0) -> Iterator[np.ndarray]:
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
