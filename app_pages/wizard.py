"""The old single wizard URL (/wizard?workflow=…): opens the workflow's own step page, so old links keep working."""

import streamlit as st

from ui.session import cached_runtime, current_user_id
from ui.wizard import load_workflow
from ui.wizard_context import WORKFLOW_PARAM, WizardContext, current_workflow_id
from ui.wizard_view import home_step

ctx = WizardContext(runtime=cached_runtime(), user_id=current_user_id(), workflow_id=current_workflow_id())
workflow = load_workflow(ctx)
st.switch_page(home_step(workflow).page, query_params={WORKFLOW_PARAM: workflow.id} if workflow else None)
