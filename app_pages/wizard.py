"""Video Wizard page: one workflow, step by step; the workflow id is in the URL."""

import streamlit as st

from ui.session import cached_runtime, current_user_id
from ui.wizard import render_wizard
from ui.wizard_context import WORKFLOW_PARAM, WizardContext


def close() -> None:
    """Leave the wizard for the workflows list."""
    st.query_params.clear()
    st.switch_page("app_pages/workflows.py")


runtime = cached_runtime()
user_id = current_user_id()
st.title("Video Wizard")
if st.query_params.get(WORKFLOW_PARAM) and st.button("Start a new video", type="tertiary", icon=":material/add:"):
    st.query_params.clear()
    st.rerun()
render_wizard(WizardContext(runtime=runtime, user_id=user_id, on_close=close))
