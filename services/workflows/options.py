"""What a user may ask of the next generation step, and what it would cost: for forms and clients."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.settings import Settings
from services.providers.registry import ModelRegistry
from services.workflows import costs
from services.workflows.domain import CostEstimate, WorkflowStep
from services.workflows.writer import WorkflowWriter


@dataclass(frozen=True)
class VideoOptions:
    """The choices a video model allows, for forms and clients."""

    frame_rates: tuple[int, ...]
    default_fps: int
    longest_seconds: int


class StepOptions:
    """The video model's choices and the cost estimates."""

    def __init__(self, *, settings: Settings, models: ModelRegistry, writer: WorkflowWriter) -> None:
        self.settings, self.models, self.writer = settings, models, writer

    def video_options(self, model: str) -> VideoOptions:
        """What a video model can be asked for: its frame rates and its longest video (its clips, joined)."""
        s, spec = self.settings, self.models.video_generator(model).spec
        # Every allowed rate: a model with a fixed rate (Veo's 24) is converted to the one asked for.
        rates = list(range(s.MIN_VIDEO_FPS, s.MAX_VIDEO_FPS + 1))
        longest = s.MAX_VIDEO_DURATION
        if spec is not None and spec.clip_seconds:
            longest = min(longest, max(spec.clip_seconds) * spec.max_clips)
        default_fps = min(rates, key=lambda rate: abs(rate - s.DEFAULT_VIDEO_FPS))
        return VideoOptions(frame_rates=tuple(rates), default_fps=default_fps, longest_seconds=longest)

    def estimate_cost(
        self,
        *,
        user_id: str,
        workflow_id: str,
        step: WorkflowStep,
        model: str | None = None,
        frame_count: int | None = None,
        frame_numbers: list[int] | None = None,
        duration: int | None = None,
        fps: int | None = None,
    ) -> CostEstimate:
        """What the next run of step would cost with the registry's prices (video: refused if impossible)."""
        workflow = self.writer.get(user_id=user_id, workflow_id=workflow_id)
        count = frame_count if frame_count is not None else self.settings.DEFAULT_FRAME_COUNT
        return costs.estimate_step(
            workflow,
            self.models,
            step=step,
            model=model,
            default_fps=self.settings.DEFAULT_VIDEO_FPS,
            frame_count=count,
            frame_numbers=frame_numbers,
            duration=duration,
            fps=fps,
        )
