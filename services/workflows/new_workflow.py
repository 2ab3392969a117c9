"""The brief a user fills in to start a workflow (validated by VideoWorkflowService.create_workflow)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NewWorkflow:
    """The brief a user fills in to start a workflow."""

    title: str
    initial_prompt: str
    target_audience: str = ""
    tone: str = ""
    duration: int = 30
    style: str = ""
    aspect_ratio: str = "16:9"
    reframe: str = "crop"  # how a ratio the video model lacks is delivered: crop, or blurred-pad
    sound: bool = True
    campaign_id: str | None = None
    refinement_model: str | None = None
    frame_model: str | None = None
    video_model: str | None = None
    example: bool = False  # a bundled example (services/examples), labelled as such everywhere
