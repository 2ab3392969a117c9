"""Creates the bundled example workflows in a user's account, through the ordinary service use cases."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from services.core.errors import StepFailedError, ValidationError
from services.providers.registry import OFFLINE_MODEL_IDS, ModelRole
from services.studio.service import NewWorkflow
from services.workflows.domain import VideoWorkflow, WorkflowStatus, WorkflowStep
from services.workflows.rules import FrameReview

BRIEFS_PATH = Path(__file__).with_name("briefs.toml")
FINISHED, FOR_REVIEW = "finished", "review"
EXAMPLE_KINDS = (FINISHED, FOR_REVIEW)


class WorkflowUseCases(Protocol):
    """The part of VideoWorkflowService the seeder drives."""

    def create_workflow(self, *, user_id: str, brief: NewWorkflow) -> VideoWorkflow: ...
    def get_workflow(self, *, user_id: str, workflow_id: str) -> VideoWorkflow: ...
    def refine_prompt(
        self, *, user_id: str, workflow_id: str, additional_info: str | None = None, model: str | None = None
    ) -> VideoWorkflow: ...
    def generate_frames(self, *, user_id: str, workflow_id: str, frame_count: int | None = None) -> VideoWorkflow: ...
    def review_frames(self, *, user_id: str, workflow_id: str, reviews: list[FrameReview]) -> VideoWorkflow: ...
    def generate_video(
        self, *, user_id: str, workflow_id: str, duration: int | None = None, fps: int | None = None
    ) -> VideoWorkflow: ...


@dataclass(frozen=True)
class ExampleBrief:
    """One bundled brief and the notes its refinement rounds add."""

    title: str
    initial_prompt: str
    target_audience: str
    tone: str
    style: str
    aspect_ratio: str
    duration: int
    fps: int
    refinement_notes: tuple[str, ...]


def load_briefs(path: Path = BRIEFS_PATH) -> dict[str, ExampleBrief]:
    """The bundled briefs by kind."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        kind: ExampleBrief(**{**entry, "refinement_notes": tuple(entry["refinement_notes"])}) for kind, entry in data.items()
    }


class ExampleSeeder:
    """Makes an example workflow: `finished` (every step, with its video) or `review` (stopped at frame review)."""

    def __init__(
        self,
        service: WorkflowUseCases,
        *,
        timeout_seconds: float = 120.0,
        poll_seconds: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service, self.timeout, self.poll, self.sleep = service, timeout_seconds, poll_seconds, sleep
        self.briefs = load_briefs()

    def create(self, *, user_id: str, kind: str) -> VideoWorkflow:
        """Run the example's steps in the user's account and return the workflow where the example stops."""
        if kind not in self.briefs:
            raise ValidationError(f"Unknown example {kind!r}. Choose one of: {', '.join(self.briefs)}.")
        brief = self.briefs[kind]
        workflow = self.service.create_workflow(user_id=user_id, brief=self._new_workflow(brief))
        ids = {"user_id": user_id, "workflow_id": workflow.id}
        for notes in brief.refinement_notes:
            self.service.refine_prompt(**ids, additional_info=notes)
        self.service.generate_frames(**ids, frame_count=3)
        workflow = self._settled(**ids)
        if kind == FOR_REVIEW:
            return workflow
        approve_all = [FrameReview(frame.frame_number, True) for frame in workflow.generated_frames]
        self.service.review_frames(**ids, reviews=approve_all)
        self.service.generate_video(**ids, duration=brief.duration, fps=brief.fps)
        return self._settled(**ids)

    @staticmethod
    def _new_workflow(brief: ExampleBrief) -> NewWorkflow:
        return NewWorkflow(
            title=brief.title,
            initial_prompt=brief.initial_prompt,
            target_audience=brief.target_audience,
            tone=brief.tone,
            duration=brief.duration,
            style=brief.style,
            aspect_ratio=brief.aspect_ratio,
            refinement_model=OFFLINE_MODEL_IDS[ModelRole.REFINEMENT],
            frame_model=OFFLINE_MODEL_IDS[ModelRole.FRAMES],
            video_model=OFFLINE_MODEL_IDS[ModelRole.VIDEO],
            example=True,
        )

    def _settled(self, *, user_id: str, workflow_id: str) -> VideoWorkflow:
        """Wait for the workflow's generation job (run by whichever worker takes it) to finish."""
        deadline = time.monotonic() + self.timeout
        while True:
            workflow = self.service.get_workflow(user_id=user_id, workflow_id=workflow_id)
            if workflow.status == WorkflowStatus.FAILED:
                error = workflow.errors[-1].message if workflow.errors else "the example's generation failed"
                raise StepFailedError(
                    f"The example could not be made: {error}", step=workflow.current_step, provider="offline"
                )
            if workflow.status != WorkflowStatus.PROCESSING and workflow.current_step not in (
                WorkflowStep.FRAME_GENERATION,
                WorkflowStep.VIDEO_GENERATION,
            ):
                return workflow
            if time.monotonic() > deadline:
                raise StepFailedError(
                    "The example is still rendering; open it from My Workflows in a minute.",
                    step=workflow.current_step,
                    provider="offline",
                )
            self.sleep(self.poll)
