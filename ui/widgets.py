"""Small widgets every page uses: status badges, the step progress bar and error alerts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from services.core.errors import (
    BusyError,
    ConflictError,
    ForbiddenError,
    LimitReachedError,
    ModelUnavailableError,
    NotFoundError,
    StepFailedError,
    StudioError,
    UnknownModelError,
)
from services.providers.registry import ModelRegistry
from services.workflows.domain import VideoWorkflow, WorkflowStatus

T = TypeVar("T")

EXAMPLE_BADGE = ":violet-badge[:material/science: example]"

STATUS_COLORS = {
    WorkflowStatus.IN_PROGRESS: "blue",
    WorkflowStatus.WAITING_USER_INPUT: "violet",
    WorkflowStatus.PROCESSING: "orange",
    WorkflowStatus.COMPLETED: "green",
    WorkflowStatus.FAILED: "red",
}

# What the user can do next, by kind of refusal (the service's message says what happened).
NEXT_STEP_HINTS: list[tuple[type[StudioError], str]] = [
    (StepFailedError, "Retry the step, or pick another model."),
    (LimitReachedError, "You have reached this workflow's limit; continue with what you have."),
    (UnknownModelError, "Pick a model from the list."),
    (ModelUnavailableError, "Pick the model it names, or another one from the list."),
    (BusyError, "Wait for the running generation to finish; this page updates by itself."),
    (ConflictError, "Reload the page and try again."),
    (ForbiddenError, "Open one of your own workflows from My Workflows."),
    (NotFoundError, "Open another workflow from My Workflows, or start a new one."),
]


def status_badge(status: WorkflowStatus) -> None:
    """The workflow's status as a coloured badge."""
    st.badge(status.value, color=STATUS_COLORS[status])  # type: ignore[arg-type]


def badge_row(badges: list[tuple[str, str]]) -> None:
    """Small labelled badges (text, colour) side by side."""
    with st.container(horizontal=True, gap="small"):
        for text, color in badges:
            st.badge(text, color=color)  # type: ignore[arg-type]


def show_error(exc: StudioError) -> None:
    """A refusal from the service: what happened and what to do next."""
    hint = next((text for kind, text in NEXT_STEP_HINTS if isinstance(exc, kind)), "")
    st.error(f"{exc.message} {hint}".strip(), icon="⚠️")


def rerun_app(_result: object = None) -> None:
    """Rerun the whole app, so every part re-reads the database."""
    st.rerun()


def act(spinner: str, call: Callable[[], T], then: Callable[[T], None] = rerun_app) -> None:
    """Run one service call under a spinner, then `then` with its result; a refusal is shown as an alert."""
    try:
        with st.spinner(spinner):
            result = call()
    except StudioError as exc:
        show_error(exc)
        return
    then(result)


def example_label(workflow: VideoWorkflow) -> str:
    """A badge after the title of a bundled example (see services/examples), empty for the user's own work."""
    return f" {EXAMPLE_BADGE}" if workflow.example else ""


def model_ran(model: str, requested: str | None, models: ModelRegistry | None = None) -> str:
    """'claude-3-opus-20240229 → claude-opus-4.6 (the original was retired on 2026-01-05)', or just the model."""
    if not requested:
        return model
    retired = models.lifecycle(requested) if models is not None else None
    when = f" on {retired.retired_on}" if retired is not None and retired.retired_on else ""
    return f"{requested} → {model} (the original was retired{when})"
