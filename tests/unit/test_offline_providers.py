"""The offline providers make real artifacts: a structured prompt, PNG frames and an H.264 MP4."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
from PIL import Image

from services.providers.base import Brief, FrameRequest, PastRound, RefinementRequest, VideoRequest
from services.providers.offline_animatic import OfflineAnimaticRenderer
from services.providers.offline_refiner import OfflineRefiner
from services.providers.offline_storyboard import OfflineStoryboardRenderer

BRIEF = Brief(
    title="Harbour Lights",
    initial_prompt="Fishing boats return at dusk",
    target_audience="tourists",
    tone="nostalgic",
    duration=20,
    style="watercolour",
    aspect_ratio="4:3",
)


def refine(notes: str | None, history: tuple[PastRound, ...] = ()) -> str:
    request = RefinementRequest(brief=BRIEF, history=history, additional_info=notes, model="offline-refiner")
    return OfflineRefiner().refine(request).refined_prompt


def test_the_refined_prompt_uses_every_brief_field_and_the_notes():
    prompt = refine("add seagulls")
    for expected in (
        "Harbour Lights",
        "Fishing boats return at dusk",
        "tourists",
        "nostalgic",
        "20 s",
        "4:3",
        "watercolour",
        "add seagulls",
        "Shots:",
        "Camera:",
        "Lighting:",
    ):
        assert expected in prompt


def test_the_refined_prompt_changes_when_the_notes_change_and_keeps_earlier_notes():
    assert refine("add seagulls") != refine("add fireworks")
    later = refine("add fireworks", history=(PastRound("add seagulls", "earlier prompt"),))
    assert "add seagulls | add fireworks" in later and "round 2" in later


def frame(prompt: str, number: int = 1, scene: str = "Opening", size: tuple[int, int] = (1024, 576)) -> Image.Image:
    request = FrameRequest(
        workflow_id="w",
        frame_number=number,
        frame_count=3,
        scene=scene,
        prompt=prompt,
        width=size[0],
        height=size[1],
        seed=7,
        model="offline-storyboard",
    )
    return Image.open(io.BytesIO(OfflineStoryboardRenderer().generate_frame(request).image))


def difference(first: Image.Image, second: Image.Image) -> float:
    return float(np.abs(np.asarray(first, np.int16) - np.asarray(second, np.int16)).mean())


def test_storyboard_frames_are_pngs_at_the_requested_size():
    image = frame("Concept: boats", size=(768, 1024))
    assert (image.format, image.size, image.mode) == ("PNG", (768, 1024), "RGB")


def test_storyboard_frames_differ_visibly_per_prompt_and_per_scene():
    opening = frame("Concept: boats at dusk")
    assert difference(opening, frame("Concept: a mountain village")) > 10
    assert difference(opening, frame("Concept: boats at dusk", number=3, scene="Closing")) > 10
    assert difference(opening, frame("Concept: boats at dusk")) == 0, "the same request draws the same frame"


def test_the_animatic_has_exactly_duration_times_fps_frames_at_the_requested_fps(tmp_path: Path):
    images = tuple(_png(n) for n in (1, 2, 3))
    request = VideoRequest(
        workflow_id="w",
        prompt="p",
        frame_images=images,
        duration=3,
        fps=25,
        width=1024,
        height=576,
        model="offline-animatic",
    )
    result = OfflineAnimaticRenderer().generate_video(request, tmp_path / "out.mp4")
    with av.open(str(result.path)) as container:
        stream = container.streams.video[0]
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        assert stream.average_rate == 25 and stream.codec_context.name == "h264"
    assert result.frame_count == len(decoded) == 75
    assert float(np.abs(decoded[0].astype(int) - decoded[10].astype(int)).mean()) > 0.5, "the camera moves"
    assert float(np.abs(decoded[0].astype(int) - decoded[-1].astype(int)).mean()) > 10, "the shots change"


def _png(number: int) -> bytes:
    buffer = io.BytesIO()
    frame(f"Concept: shot {number}", number=number).save(buffer, format="PNG")
    return buffer.getvalue()
