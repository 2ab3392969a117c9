"""Pure planning of storyboard frames: scenes, prompts and pixel sizes."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.errors import ValidationError
from services.core.settings import ASPECT_RATIOS
from services.providers.catalog import ratio_size

LONG_SIDE = 1024


@dataclass(frozen=True)
class PlannedFrame:
    frame_number: int
    scene: str
    prompt: str


def frame_size(aspect_ratio: str) -> tuple[int, int]:
    """Pixel size of exactly the ratio, long side at most 1024: 16:9 is 1024x576, 4:5 816x1020, 21:9 1008x432."""
    if aspect_ratio not in ASPECT_RATIOS:
        raise ValidationError(f"Unknown aspect ratio {aspect_ratio!r}. Use one of: {', '.join(ASPECT_RATIOS)}.")
    return ratio_size(aspect_ratio, LONG_SIDE)


def scene_labels(frame_count: int) -> list[str]:
    """Key narrative moments: opening / middle / closing, spread evenly for other counts."""
    if frame_count == 1:
        return ["Key moment"]
    labels = []
    for index in range(frame_count):
        if index == 0:
            labels.append("Opening")
        elif index == frame_count - 1:
            labels.append("Closing")
        elif frame_count % 2 == 1 and index == frame_count // 2:
            labels.append("Middle")
        else:
            labels.append(f"Beat at {round(100 * index / (frame_count - 1))}%")
    return labels


SCENE_DIRECTIONS = {
    "Opening": "establish the world and the subject; wide shot, set the mood",
    "Middle": "the turning point; the subject in action, medium shot, peak energy",
    "Closing": "the resolution and the takeaway; hero shot, room for the message",
    "Key moment": "the single defining image of the story",
}


def plan_frames(*, refined_prompt: str, frame_count: int, aspect_ratio: str, style: str) -> list[PlannedFrame]:
    """One prompt per key frame, each anchored to its moment in the story."""
    labels = scene_labels(frame_count)
    plans = []
    for number, label in enumerate(labels):  # numbered from 0, as in the spec; people read number + 1
        direction = SCENE_DIRECTIONS.get(label, "the story develops; keep continuity with the frames around it")
        style_clause = f" Visual style: {style}." if style else ""
        prompt = (
            f"{refined_prompt}\n\nStoryboard key frame {number + 1} of {frame_count} ({label}): {direction}."
            f"{style_clause} Aspect ratio {aspect_ratio}."
        )
        plans.append(PlannedFrame(frame_number=number, scene=label, prompt=prompt))
    return plans


def prompt_with_feedback(base_prompt: str, feedback_notes: list[str]) -> str:
    """A frame's prompt with every piece of reviewer feedback folded in, oldest first."""
    notes = [note.strip() for note in feedback_notes if note and note.strip()]
    if not notes:
        return base_prompt
    return base_prompt + "\nRevise according to reviewer feedback: " + " | ".join(notes)
