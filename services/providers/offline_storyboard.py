"""Offline storyboard renderer: draws a real PNG key frame with Pillow, no network."""

from __future__ import annotations

import hashlib
import io
import random
import textwrap

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from services.providers.base import FrameRequest, FrameResult

# Where the sun sits through the story: rising, high, setting.
SUN_PATH = {"Opening": (0.18, 0.42), "Middle": (0.5, 0.2), "Closing": (0.82, 0.4)}
FEEDBACK_MARKER = "Revise according to reviewer feedback:"
SCENE_MARKER = "\n\nStoryboard key frame"
# Frame models whose offline stand-in draws its own look (the same prompt and seed give another sky), so a
# Prompt Lab comparison shows two different candidates without keys; other ids share the default look.
MODEL_LOOKS = {"dalle-3": "painterly", "flux-1.1-pro": "painterly"}  # flux-1.1-pro succeeds the retired dalle-3


class OfflineStoryboardRenderer:
    """Draws a scene whose palette follows the prompt and whose composition follows the story beat."""

    def generate_frame(self, request: FrameRequest) -> FrameResult:
        """Render the frame as PNG bytes at the requested size."""
        look = MODEL_LOOKS.get(request.model, "")
        digest = hashlib.sha256(f"{request.prompt}|{request.scene}|{request.seed}{look}".encode()).digest()
        # The land comes from the shared concept, so a workflow's frames look like one world;
        # the sky follows the whole frame prompt, so each scene and each revision differs.
        world = hashlib.sha256(request.prompt.split(SCENE_MARKER)[0].encode()).digest()
        rng = random.Random(digest)
        width, height = request.width, request.height
        sky_top, sky_bottom, accent = (_colour(digest, offset) for offset in (0, 3, 9))
        land = _colour(world, 6)
        image = Image.fromarray(_vertical_gradient(width, height, sky_top, sky_bottom))
        draw = ImageDraw.Draw(image)
        progress = request.frame_number / max(1, request.frame_count - 1)  # frames are numbered from 0
        _draw_sun(draw, request.scene, progress, width, height, accent)
        _draw_hills(draw, rng, width, height, land)
        _draw_subject(draw, rng, progress, width, height)
        _draw_caption(draw, request, width, height)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False, compress_level=3)
        return FrameResult(image=buffer.getvalue())


def _colour(digest: bytes, offset: int) -> tuple[int, int, int]:
    r, g, b = digest[offset], digest[offset + 1], digest[offset + 2]
    return (60 + r * 180 // 255, 60 + g * 180 // 255, 60 + b * 180 // 255)


def _vertical_gradient(width: int, height: int, top: tuple[int, ...], bottom: tuple[int, ...]) -> np.ndarray:
    weights = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    column = (1 - weights) * np.array(top, np.float32) + weights * np.array(bottom, np.float32)
    return np.repeat(column[:, None, :], width, axis=1).astype(np.uint8)


def _draw_sun(draw: ImageDraw.ImageDraw, scene: str, progress: float, width: int, height: int, colour) -> None:
    x_frac, y_frac = SUN_PATH.get(scene, (0.18 + 0.64 * progress, 0.6 - 0.4 * (1 - abs(2 * progress - 1))))
    radius = min(width, height) // 9
    cx, cy = int(x_frac * width), int(y_frac * height)
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=colour)


def _draw_hills(draw: ImageDraw.ImageDraw, rng: random.Random, width: int, height: int, colour) -> None:
    for layer in range(3):
        shade = tuple(max(0, c - 35 * layer) for c in colour)
        base = height * (0.62 + 0.1 * layer)
        points: list[tuple[float, float]] = [(0.0, float(height))]
        for step in range(9):
            x = width * step / 8
            points.append((x, base - rng.uniform(0, height * 0.18)))
        points.append((width, height))
        draw.polygon(points, fill=shade)


def _draw_subject(draw: ImageDraw.ImageDraw, rng: random.Random, progress: float, width: int, height: int) -> None:
    """A simple figure that walks across the story, growing as the camera closes in."""
    scale = height * (0.16 + 0.14 * progress)
    x = width * (0.25 + 0.5 * progress) + rng.uniform(-width * 0.05, width * 0.05)
    ground = height * 0.82
    head = scale * 0.18
    ink = (25, 25, 35)
    draw.ellipse([x - head, ground - scale - head, x + head, ground - scale + head], fill=ink)
    draw.line([(x, ground - scale + head), (x, ground - scale * 0.4)], fill=ink, width=max(3, int(scale / 12)))
    for dx in (-1, 1):
        draw.line([(x, ground - scale * 0.4), (x + dx * scale * 0.2, ground)], fill=ink, width=max(3, int(scale / 14)))
        draw.line(
            [(x, ground - scale * 0.75), (x + dx * scale * 0.25, ground - scale * 0.5)],
            fill=ink,
            width=max(2, int(scale / 16)),
        )


def _draw_caption(draw: ImageDraw.ImageDraw, request: FrameRequest, width: int, height: int) -> None:
    band = max(60, height // 7)
    draw.rectangle([0, height - band, width, height], fill=(15, 15, 20))
    title_font = ImageFont.load_default(size=max(16, band // 3))
    body_font = ImageFont.load_default(size=max(11, band // 5))
    label = f"Frame {request.frame_number + 1}/{request.frame_count} · {request.scene}"
    draw.text((16, height - band + 6), label, fill=(255, 255, 255), font=title_font)
    concept = request.prompt.splitlines()[1] if len(request.prompt.splitlines()) > 1 else request.prompt
    if FEEDBACK_MARKER in request.prompt:
        concept = "Revised: " + request.prompt.split(FEEDBACK_MARKER)[-1].strip()
    snippet = textwrap.shorten(concept, width=max(30, width // 9), placeholder="…")
    draw.text((16, height - band + 8 + band // 3), snippet, fill=(200, 200, 210), font=body_font)
