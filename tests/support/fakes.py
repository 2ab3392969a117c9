"""Scriptable providers for tests: they record what they were sent and do what they are told."""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path

from services.core.errors import ProviderError
from services.core.job_scope import cancel_requested, progress
from services.providers.base import (
    FrameRequest,
    FrameResult,
    RefinementRequest,
    RefinementResult,
    VideoRequest,
    VideoResult,
)
from services.providers.offline_animatic import OfflineAnimaticRenderer
from services.providers.offline_storyboard import OfflineStoryboardRenderer
from services.providers.registry import ModelRegistry, ModelRole


class ScriptedRefiner:
    """Answers with queued prompts or errors; with nothing queued, echoes the round number."""

    def __init__(self) -> None:
        self.queue: deque[str | Exception] = deque()
        self.history: list[RefinementRequest] = []

    def enqueue(self, *answers: str | Exception) -> None:
        self.queue.extend(answers)

    def refine(self, request: RefinementRequest) -> RefinementResult:
        self.history.append(request)
        answer = self.queue.popleft() if self.queue else f"refined prompt, round {len(request.history) + 1}"
        if isinstance(answer, Exception):
            raise answer
        return RefinementResult(refined_prompt=answer)


class ScriptedFrameGenerator:
    """Draws real PNGs (offline renderer) after a fixed delay; frame numbers in fail_frames raise."""

    def __init__(self, *, delay: float = 0.0, fail_frames: set[int] | None = None, redraw: bool = True) -> None:
        self.delay = delay
        self.fail_frames = set(fail_frames or ())
        self.redraw = redraw  # False: one drawing per size is reused, so only `delay` counts as provider time
        self._drawn: dict[tuple[int, int], FrameResult] = {}
        self.history: list[FrameRequest] = []
        self._lock = threading.Lock()
        self._renderer = OfflineStoryboardRenderer()

    def generate_frame(self, request: FrameRequest) -> FrameResult:
        with self._lock:
            self.history.append(request)
        time.sleep(self.delay)
        if request.frame_number in self.fail_frames:
            raise ProviderError("the image model is overloaded (503)", provider="scripted", status=503)
        if self.redraw:
            return self._renderer.generate_frame(request)
        with self._lock:
            size = (request.width, request.height)
            if size not in self._drawn:
                self._drawn[size] = self._renderer.generate_frame(request)
            return self._drawn[size]


class ScriptedVideoGenerator:
    """The offline animatic, or a queued failure."""

    def __init__(self) -> None:
        self.failures: deque[Exception] = deque()
        self.history: list[VideoRequest] = []

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        self.history.append(request)
        if self.failures:
            raise self.failures.popleft()
        return OfflineAnimaticRenderer().generate_video(request, output_path)


class SlowVideo:
    """A render that takes the video's own length in wall time, reporting progress, and honours a cancel."""

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        steps = request.duration * 2
        for step in range(steps):
            if cancel_requested():
                raise ProviderError("canceled", provider="scripted")
            progress(int(100 * step / steps), f"Rendering second {step // 2 + 1} of {request.duration}")
            time.sleep(0.5)
        return OfflineAnimaticRenderer().generate_video(request, output_path)


def scripted_registry(refiner: object, frames: object, video: object) -> ModelRegistry:
    """A registry whose default model ids are served by the given fakes."""
    registry = ModelRegistry()
    for role, model_id, implementation in (
        (ModelRole.REFINEMENT, "gpt-4o", refiner),
        (ModelRole.FRAMES, "stable-diffusion-xl", frames),
        (ModelRole.VIDEO, "veo-3", video),
    ):
        registry.register(role, model_id, provider_name="scripted", implementation=implementation)
    return registry


class TimedRefiner:
    """Answers after a fixed delay with text that names its model, like a provider that takes `delay` seconds."""

    def __init__(self, delay: float, *, usage: dict[str, int] | None = None) -> None:
        self.delay = delay
        self.usage = usage or {"prompt_tokens": 300, "completion_tokens": 150}
        self.history: list[RefinementRequest] = []

    def refine(self, request: RefinementRequest) -> RefinementResult:
        self.history.append(request)
        time.sleep(self.delay)
        text = f"{request.model} took {self.delay:g} s to refine: {request.brief.initial_prompt}"
        return RefinementResult(refined_prompt=text, usage=dict(self.usage))


def lab_registry(delays: dict[str, float], frames: object, video: object) -> ModelRegistry:
    """A registry with a TimedRefiner per refinement model id, and the given frame and video providers."""
    registry = ModelRegistry()
    for model_id, delay in delays.items():
        registry.register(ModelRole.REFINEMENT, model_id, provider_name="scripted", implementation=TimedRefiner(delay))
    registry.register(ModelRole.FRAMES, "stable-diffusion-xl", provider_name="scripted", implementation=frames)
    registry.register(ModelRole.VIDEO, "veo-3", provider_name="scripted", implementation=video)
    return registry
