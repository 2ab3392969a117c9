"""Taking work done outside the wizard (the Prompt Lab) into a workflow."""

from __future__ import annotations

from services.workflows import costs, rules
from services.workflows.domain import GeneratedFrame, RefinementIteration, VideoOutput, VideoWorkflow
from services.workflows.writer import WorkflowWriter


class Adoptions:
    """Each adoption is one conditional write that checks the state machine, the caps and that nothing is running."""

    def __init__(self, writer: WorkflowWriter) -> None:
        self.writer = writer
        self.clock = writer.clock

    def adopt_refinement(self, *, user_id: str, workflow_id: str, iteration: RefinementIteration) -> VideoWorkflow:
        """Add a refinement made elsewhere as the workflow's next iteration (numbered here), with its cost."""

        def adopt(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)
            rules.check_can_refine(workflow)
            numbered = iteration.model_copy(update={"iteration": len(workflow.refinement_iterations) + 1})
            costs.add_cost(workflow, iteration.cost_usd)
            rules.complete_refinement(workflow, numbered, now=self.clock())

        return self.writer.update(user_id, workflow_id, adopt)

    def adopt_frame_version(self, *, user_id: str, workflow_id: str, frame: GeneratedFrame) -> VideoWorkflow:
        """Make a frame rendered elsewhere the frame's next version (it then needs review)."""

        def adopt(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)
            rules.adopt_frame(workflow, frame.model_copy(deep=True), now=self.clock())

        return self.writer.update(user_id, workflow_id, adopt)

    def pick_video(self, *, user_id: str, workflow_id: str, video: VideoOutput) -> VideoWorkflow:
        """Make a rendered variation the workflow's video; the workflow is then complete."""

        def pick(workflow: VideoWorkflow) -> None:
            self.writer.ensure_idle(workflow)
            rules.pick_video(workflow, video.model_copy(deep=True), now=self.clock())

        return self.writer.update(user_id, workflow_id, pick)

    def add_cost(self, *, user_id: str, workflow_id: str, amount: float) -> VideoWorkflow:
        """Charge work done for this workflow outside its steps (lab frames and variations) to its running total."""
        return self.writer.update(user_id, workflow_id, lambda workflow: costs.add_cost(workflow, amount))
