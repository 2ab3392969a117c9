"""What every wizard step needs, and the URL parameters that make the wizard survive a reload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from services.bootstrap import Runtime

WORKFLOW_PARAM = "workflow"
VIEW_PARAM = "view"
CAMPAIGN_PARAM = "campaign"


@dataclass(frozen=True)
class WizardContext:
    """The runtime, the signed-in user and what "Close" does where the wizard is shown."""

    runtime: Runtime
    user_id: str
    on_close: Callable[[], None]

    def go(self, view: str | None = None) -> None:
        """Show another step of the same workflow (kept in the URL), then rerun."""
        if view:
            st.query_params[VIEW_PARAM] = view
        else:
            st.query_params.pop(VIEW_PARAM, None)
        st.rerun()


def index_of(options: list[str], value: str) -> int:
    """Where value sits in options (the first option when it is not there)."""
    return options.index(value) if value in options else 0
