"""The provider protocols and the plain data they exchange with the service."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Brief:
    """Everything the user wrote about the video."""

    title: str
    initial_prompt: str
    target_audience: str
    tone: str
    duration: int
    style: str
    aspect_ratio: str


@dataclass(frozen=True)
class PastRound:
    additional_info: str | None
    refined_prompt: str


@dataclass(frozen=True)
class RefinementRequest:
    brief: Brief
    history: tuple[PastRound, ...]
    additional_info: str | None
    model: str
    user_id: str | None = None  # whose key pays for the call (their own, or the global one)


@dataclass(frozen=True)
class RefinementResult:
    refined_prompt: str
    usage: dict[str, int] = field(default_factory=dict)
    provider: str | None = None  # set when the provider that ran differs from the registry's (key fallback)


@dataclass(frozen=True)
class FrameRequest:
    workflow_id: str
    frame_number: int
    frame_count: int
    scene: str
    prompt: str
    width: int
    height: int
    seed: int
    model: str
    user_id: str | None = None


@dataclass(frozen=True)
class FrameResult:
    image: bytes
    content_type: str = "image/png"
    provider: str | None = None


@dataclass(frozen=True)
class VideoRequest:
    workflow_id: str
    prompt: str
    frame_images: tuple[bytes, ...]
    duration: int
    fps: int
    width: int
    height: int
    model: str
    user_id: str | None = None
    sound: bool = True  # ask models that can make a soundtrack for one (Veo's generate_audio)
    frame_keys: tuple[str, ...] = ()  # the media keys of frame_images, when they are stored frames (signed URLs)
    seed: int | None = None  # a Prompt Lab variation's seed (models that take one); None: the model's own
    aspect_ratio: str = ""  # the brief's ratio (width x height is it exactly); "" means width:height reduced
    reframe: str = "crop"  # how a ratio the model lacks is reached: crop, or blurred-pad

    @property
    def ratio(self) -> str:
        """The delivered aspect ratio, e.g. '4:5'."""
        if self.aspect_ratio:
            return self.aspect_ratio
        divisor = math.gcd(self.width, self.height)
        return f"{self.width // divisor}:{self.height // divisor}"


@dataclass(frozen=True)
class VideoResult:
    path: Path
    frame_count: int
    content_type: str = "video/mp4"
    provider: str | None = None


class PromptRefiner(Protocol):
    def refine(self, request: RefinementRequest) -> RefinementResult:
        """Rewrite the brief (and earlier rounds, and the new notes) into a production prompt."""
        ...


class FrameGenerator(Protocol):
    def generate_frame(self, request: FrameRequest) -> FrameResult:
        """Draw one storyboard key frame."""
        ...


class VideoGenerator(Protocol):
    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        """Render the final video from the approved frames into output_path."""
        ...
