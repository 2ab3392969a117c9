"""What every generation job checks before it writes: that its workflow still runs this job."""

from __future__ import annotations

from services.core.errors import JobSupersededError
from services.jobs.context import ActiveJob
from services.workflows.domain import VideoWorkflow, WorkflowStatus
from services.workflows.writer import Mutation, WorkflowWriter


def workflow_for_job(writer: WorkflowWriter, active: ActiveJob) -> VideoWorkflow:
    """The job's workflow, while it still runs this job; otherwise JobSupersededError ends the job quietly."""
    job = active.job
    try:
        workflow = writer.get(user_id=job.user_id, workflow_id=job.workflow_id)
    except Exception as exc:  # noqa: BLE001 - a deleted workflow simply ends its job
        raise JobSupersededError(f"Workflow {job.workflow_id} is gone: {exc}") from None
    if workflow.active_job_id != job.id or workflow.status is not WorkflowStatus.PROCESSING:
        raise JobSupersededError(f"Workflow {job.workflow_id} has moved on from job {job.id}.")
    return workflow


def owned(active: ActiveJob, mutate: Mutation) -> Mutation:
    """The mutation, applied only while the workflow still runs this job: a canceled or superseded job writes nothing."""

    def guarded(workflow: VideoWorkflow) -> None:
        if workflow.active_job_id != active.job.id or workflow.status is not WorkflowStatus.PROCESSING:
            raise JobSupersededError(f"Workflow {workflow.id} has moved on from job {active.job.id}.")
        mutate(workflow)

    return guarded
