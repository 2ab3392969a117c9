"""My Workflows: every workflow of the user, newest activity first; open, resume or delete."""

import streamlit as st

from services.core.errors import StudioError
from services.workflows.domain import VideoWorkflow
from ui.campaigns import campaign_filter, campaign_names
from ui.examples import try_an_example
from ui.session import cached_runtime, current_user_id
from ui.widgets import example_label, show_error, status_badge
from ui.wizard_context import WORKFLOW_PARAM
from ui.wizard_view import home_step

PAGE_SIZE = 20

runtime = cached_runtime()
user_id = current_user_id()


CONFIRM_DELETE_KEY = "confirm_delete_workflow"  # the id of the workflow awaiting confirmation


def forget_confirmation() -> None:
    """The confirmation dialog was dismissed."""
    st.session_state.pop(CONFIRM_DELETE_KEY, None)


@st.dialog("Delete this workflow?", on_dismiss=forget_confirmation)
def confirm_delete(workflow: VideoWorkflow) -> None:
    """Ask before deleting; the workflow disappears from every list."""
    st.write(f"**{workflow.title}** will be removed from your workflows and creatives.")
    yes, no = st.columns(2)
    if yes.button("Delete", type="primary", key="confirm-delete"):
        try:
            runtime.service.delete_workflow(user_id=user_id, workflow_id=workflow.id)
        except StudioError as exc:
            show_error(exc)
            return
        forget_confirmation()
        st.rerun()
    if no.button("Keep it", key="cancel-delete"):
        forget_confirmation()
        st.rerun()


def workflow_row(workflow: VideoWorkflow, campaigns: dict[str, str]) -> None:
    """One workflow: title, step, status, last activity, and its buttons."""
    with st.container(border=True):
        info, status, actions = st.columns([4, 2, 2], vertical_alignment="center")
        info.markdown(f"**{workflow.title}**{example_label(workflow)}")
        campaign = campaigns.get(workflow.campaign_id or "", "no campaign")
        info.caption(
            f"Step {workflow.current_step.value} · {campaign} · last activity {workflow.last_activity:%Y-%m-%d %H:%M} UTC"
        )
        with status:
            status_badge(workflow.status)
        open_col, delete_col = actions.columns(2)
        label = "Open" if workflow.video_output else "Resume"
        if open_col.button(label, key=f"open-{workflow.id}"):
            st.switch_page(home_step(workflow).page, query_params={WORKFLOW_PARAM: workflow.id})
        if delete_col.button("Delete", key=f"delete-{workflow.id}"):
            st.session_state[CONFIRM_DELETE_KEY] = workflow.id


st.title("My Workflows")
campaign_id = campaign_filter(runtime, user_id, key="workflows_campaign")
page_number = st.session_state.get("workflows_page", 1)
try:
    listing = runtime.service.list_workflows(user_id=user_id, campaign_id=campaign_id, page=page_number, page_size=PAGE_SIZE)
except StudioError as exc:
    show_error(exc)
    st.stop()
if not listing.items and campaign_id is None:
    st.info("No workflows yet. Start one in the Video Wizard, or see what the studio makes first:")
    try_an_example(runtime, user_id, key="workflows-try-example")
elif not listing.items:
    st.info("No workflows in this campaign yet. Pick another campaign, or start one in the Video Wizard.")
names = campaign_names(runtime, user_id)
for item in listing.items:
    workflow_row(item, names)
pending = next((w for w in listing.items if w.id == st.session_state.get(CONFIRM_DELETE_KEY)), None)
if pending is not None:
    confirm_delete(pending)
pages = max(1, -(-listing.total // PAGE_SIZE))
if pages > 1:
    st.number_input("Page", min_value=1, max_value=pages, key="workflows_page")
