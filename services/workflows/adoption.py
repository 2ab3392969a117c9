"""Mixin of VideoWorkflowService: taking work done outside the wizard (the Prompt Lab) into a workflow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from services.workflows import costs, rules
from services.workflows.domain import GeneratedFrame, RefinementIteration, VideoOutput, VideoWorkflow

if TYPE_CHECKING:
    from services.workflows.service import Mutation


class Adoptions:
    """Each adoption is one conditional write that checks the state machine, the caps and that nothing is running."""

    clock: Callable[[], datetime]
    _stale_after: timedelta

    if TYPE_CHECKING:  # provided by VideoWorkflowService

        def _update(self, user_id: str, workflow_id: str, mutate: Mutation) -> VideoWorkflow: ...

    def check_idle(self, workflow: VideoWorkflow) -> None:
        """Refuse work on a workflow while a generation runs on it (a long-stale one counts as crashed)."""
        rules.ensure_not_busy(workflow, now=self.clock(), stale_after=self._stale_after)

    def adopt_refinement(self, *, user_id: str, workflow_id: str, iteration: RefinementIteration) -> VideoWorkflow:
        """Add a refinement made elsewhere as the workflow's next iteration (numbered here), with its cost."""

        def adopt(workflow: VideoWorkflow) -> None:
            rules.ensure_not_busy(workflow, now=self.clock(), stale_after=self._stale_after)
            rules.check_can_refine(workflow)
            numbered = iteration.model_copy(update={"iteration": len(workflow.refinement_iterations) + 1})
            costs.add_cost(workflow, iteration.cost_usd)
            rules.complete_refinement(workflow, numbered, now=self.clock())

        return self._update(user_id, workflow_id, adopt)

    def adopt_frame_version(self, *, user_id: str, workflow_id: str, frame: GeneratedFrame) -> VideoWorkflow:
        """Make a frame rendered elsewhere the frame's next version (it then needs review)."""

        def adopt(workflow: VideoWorkflow) -> None:
            rules.ensure_not_busy(workflow, now=self.clock(), stale_after=self._stale_after)
            rules.adopt_frame(workflow, frame.model_copy(deep=True), now=self.clock())

        return self._update(user_id, workflow_id, adopt)

    def pick_video(self, *, user_id: str, workflow_id: str, video: VideoOutput) -> VideoWorkflow:
        """Make a rendered variation the workflow's video; the workflow is then complete."""

        def pick(workflow: VideoWorkflow) -> None:
            rules.ensure_not_busy(workflow, now=self.clock(), stale_after=self._stale_after)
            rules.pick_video(workflow, video.model_copy(deep=True), now=self.clock())

        return self._update(user_id, workflow_id, pick)

    def add_cost(self, *, user_id: str, workflow_id: str, amount: float) -> VideoWorkflow:
        """Charge work done for this workflow outside its steps (lab frames and variations) to its running total."""
        return self._update(user_id, workflow_id, lambda workflow: costs.add_cost(workflow, amount))
