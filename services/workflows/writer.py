"""The one way collaborators of the workflow service read and change a user's workflow.

Reads check ownership; writes are version-checked and retried on fresher data; a failure is recorded on the
workflow (and raised as StepFailedError); the user's callback URLs hear of completed and failed steps.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NoReturn, Protocol, TypeVar

from services.core import metrics
from services.core.errors import ConflictError, ForbiddenError, JobSupersededError, NotFoundError, StepFailedError
from services.providers.registry import ModelRegistry, ResolvedModel
from services.providers.user_messages import safe_message
from services.workflows import rules
from services.workflows.domain import VideoWorkflow, WorkflowStep
from services.workflows.repository import WorkflowRepository
from services.workflows.state_machine import WorkflowAction

log = logging.getLogger(__name__)
T = TypeVar("T")
Mutation = Callable[[VideoWorkflow], None]

MAX_WRITE_ATTEMPTS = 20
CONTENDED = "The workflow is being changed by several requests at once. Reload it and try again."


class EventSink(Protocol):
    def emit(self, *, user_id: str, event_type: str, data: dict) -> int: ...


class WorkflowWriter:
    """Gets, updates (version-checked, with retry), fails and notifies; shared by every workflow collaborator."""

    def __init__(
        self,
        *,
        repository: WorkflowRepository,
        models: ModelRegistry,
        clock: Callable[[], datetime],
        stale_after: timedelta,
        events: EventSink | None = None,
    ) -> None:
        self.repository = repository
        self.models = models
        self.clock = clock
        self.stale_after = stale_after  # a PROCESSING workflow untouched this long counts as crashed
        self.events = events  # users' callback URLs (outgoing webhooks), when configured

    def get(self, *, user_id: str, workflow_id: str) -> VideoWorkflow:
        """The user's workflow; another user's → ForbiddenError, missing or deleted → NotFoundError."""
        workflow = self.repository.get(workflow_id)
        if workflow is None or workflow.deleted_at is not None:
            raise NotFoundError(f"Workflow {workflow_id} was not found. It may have been deleted.")
        if workflow.user_id != user_id:
            raise ForbiddenError("This workflow belongs to another user.")
        return workflow

    def update(self, user_id: str, workflow_id: str, mutate: Mutation) -> VideoWorkflow:
        """Apply mutate to fresh data and save conditionally; on a lost race, retry on fresher data."""
        for attempt in range(MAX_WRITE_ATTEMPTS):
            workflow = self.get(user_id=user_id, workflow_id=workflow_id)
            mutate(workflow)
            try:
                return self.repository.save(workflow)
            except ConflictError:
                # Exponential backoff with jitter: a writer that keeps losing steps out of the winner's rhythm.
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
        raise ConflictError(CONTENDED)

    def ensure_idle(self, workflow: VideoWorkflow) -> None:
        """Refuse work on a workflow while a generation runs on it (a long-stale one counts as crashed)."""
        rules.ensure_not_busy(workflow, now=self.clock(), stale_after=self.stale_after)

    def begin(self, workflow: VideoWorkflow, action: WorkflowAction, job_id: str | None = None) -> None:
        """Move the workflow into the step action starts (checked by the state machine)."""
        rules.begin(workflow, action, now=self.clock(), stale_after=self.stale_after, job_id=job_id)

    def call(
        self, user_id: str, workflow_id: str, step: WorkflowStep, model: ResolvedModel, provider_call: Callable[[], T]
    ) -> T:
        """Run a provider call; a failure is recorded on the workflow and raised as StepFailedError."""
        try:
            return provider_call()
        except Exception as exc:  # noqa: BLE001 - any provider failure must leave the workflow retryable
            self.models.note_failure(model.model_id, exc)
            self.fail(user_id, workflow_id, step, model.provider_name, safe_message(model, exc))

    def notify(self, workflow: VideoWorkflow, event_type: str, *, step: WorkflowStep) -> VideoWorkflow:
        """Tell the user's callback URLs (if any); a delivery problem never fails the step itself."""
        if self.events is not None:
            data = {
                "workflowId": workflow.id,
                "title": workflow.title,
                "step": step.value,
                "currentStep": workflow.current_step.value,
                "status": workflow.status.value,
            }
            if event_type == "workflow.failed" and workflow.errors:
                data["error"] = workflow.errors[-1].message
            try:
                self.events.emit(user_id=workflow.user_id, event_type=event_type, data=data)
            except Exception:  # noqa: BLE001 - the outbox is best effort next to the workflow itself
                log.exception("could not queue %s for workflow %s", event_type, workflow.id)
        return workflow

    def fail(
        self, user_id: str, workflow_id: str, step: WorkflowStep, provider: str, message: str, *, job_id: str | None = None
    ) -> NoReturn:
        """Record the step's failure on the workflow (unless job_id has been superseded) and raise StepFailedError."""

        def record(workflow: VideoWorkflow) -> None:
            if job_id is not None and workflow.active_job_id != job_id:  # canceled or superseded: not its failure
                raise JobSupersededError(f"Workflow {workflow.id} has moved on from job {job_id}.")
            rules.record_failure(workflow, step=step, message=message, provider=provider, now=self.clock())

        failed = self.update(user_id, workflow_id, record)
        metrics.step_failed(step=step.value, provider=provider)
        self.notify(failed, "workflow.failed", step=step)
        raise StepFailedError(f"{message} You can retry this step.", step=step.value, provider=provider)
