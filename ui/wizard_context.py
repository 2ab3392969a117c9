"""Where the wizard runs (its own pages, or Creatives' dialog) and which workflow it shows.

The workflow id lives in `st.session_state` and is mirrored in the URL (`?workflow=…`): the URL wins when it
names one (a reload, a shared link, a new tab), and the session puts it back when navigation dropped it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from services.bootstrap import Runtime
from ui.wizard_view import WizardStep

WORKFLOW_PARAM = "workflow"
STEP_PARAM = "step"  # the dialog's step; a page is its own step
CAMPAIGN_PARAM = "campaign"
WORKFLOW_KEY = "wizard_workflow_id"
FLASH_KEY = "wizard_flash"  # one message shown on the next run, e.g. what a cancel kept


def current_workflow_id() -> str | None:
    """The wizard's workflow: the URL's when it names one (then remembered), else the session's (then mirrored)."""
    from_url = st.query_params.get(WORKFLOW_PARAM)
    if from_url:
        st.session_state[WORKFLOW_KEY] = from_url
        return from_url
    remembered = st.session_state.get(WORKFLOW_KEY)
    if remembered:
        st.query_params[WORKFLOW_PARAM] = remembered
    return remembered


def remember_workflow(workflow_id: str) -> None:
    """Make this workflow the wizard's, in the session and the URL."""
    st.session_state[WORKFLOW_KEY] = workflow_id
    st.query_params[WORKFLOW_PARAM] = workflow_id


def forget_workflow() -> None:
    """The wizard starts over at an empty brief."""
    st.session_state.pop(WORKFLOW_KEY, None)
    st.query_params.pop(WORKFLOW_PARAM, None)
    st.query_params.pop(STEP_PARAM, None)


def flash(kind: str, text: str) -> None:
    """Show this message once, at the top of the next run (kind: success, info, warning)."""
    st.session_state[FLASH_KEY] = (kind, text)


def take_flash() -> tuple[str, str] | None:
    """The pending message, removed so it shows once."""
    return st.session_state.pop(FLASH_KEY, None)


@dataclass(frozen=True)
class WizardContext:
    """The runtime, the signed-in user, the workflow, and how this host moves between steps."""

    runtime: Runtime
    user_id: str
    workflow_id: str | None
    in_dialog: bool = False
    on_close: Callable[[], None] | None = None  # the dialog's Close

    def go(self, step: WizardStep) -> None:
        """Show another step of the same workflow: switch page, or (in the dialog) change the URL and rerun."""
        params = {WORKFLOW_PARAM: self.workflow_id} if self.workflow_id else {}
        if self.in_dialog:
            st.query_params[STEP_PARAM] = step.value
            st.rerun()
        st.switch_page(step.page, query_params=params)

    def opened(self, workflow_id: str, step: WizardStep) -> None:
        """A new workflow exists (brief submitted): make it the wizard's and show `step`."""
        remember_workflow(workflow_id)
        WizardContext(self.runtime, self.user_id, workflow_id, self.in_dialog, self.on_close).go(step)

    def start_over(self) -> None:
        """Forget the workflow and show an empty brief."""
        forget_workflow()
        if self.in_dialog:
            st.rerun()
        st.switch_page(WizardStep.BRIEF.page)

    def link(self, step: WizardStep, *, label: str | None = None, disabled: bool = False, key: str = "") -> None:
        """A link to a step: a page link on the step pages, a button in the dialog."""
        text = label or f"{step.number} {step.label}"
        if self.in_dialog:
            if st.button(text, key=f"goto-{step.value}{key}", disabled=disabled, type="tertiary"):
                self.go(step)
            return
        params = {WORKFLOW_PARAM: self.workflow_id} if self.workflow_id else None
        st.page_link(step.page, label=text, disabled=disabled, query_params=params)


def index_of(options: list[str], value: str) -> int:
    """Where value sits in options (the first option when it is not there)."""
    return options.index(value) if value in options else 0
