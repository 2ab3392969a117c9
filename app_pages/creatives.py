"""Creatives: the user's finished videos and approved frames as cards, by campaign; new videos start here."""

import streamlit as st

from services.workflows.domain import VideoWorkflow
from ui.campaigns import campaign_filter, campaign_names, new_campaign_form
from ui.examples import try_an_example
from ui.session import cached_runtime, current_user_id
from ui.widgets import example_label
from ui.wizard import render_wizard
from ui.wizard_context import CAMPAIGN_PARAM, VIEW_PARAM, WORKFLOW_PARAM, WizardContext

WIZARD_PARAM = "wizard"
CARD_COLUMNS = 3
MAX_WORKFLOWS = 100
MAX_FRAMES_SHOWN = 12

runtime = cached_runtime()
user_id = current_user_id()


def close_wizard() -> None:
    """Forget the wizard's URL state: the dialog closes and the cards below are re-read."""
    for name in (WIZARD_PARAM, WORKFLOW_PARAM, VIEW_PARAM, CAMPAIGN_PARAM):
        st.query_params.pop(name, None)


def close_wizard_and_refresh() -> None:
    """The wizard's own Close button."""
    close_wizard()
    st.rerun()


@st.dialog("Create a creative")
def create_dialog() -> None:
    """Pick the creative type and, optionally, a campaign; then open its wizard."""
    st.radio("Creative type", ["Video"], horizontal=True, help="More creative types will follow.")
    names = campaign_names(runtime, user_id)
    campaign = st.selectbox(
        "Attach to campaign (optional)", [None, *names], format_func=lambda cid: "No campaign" if cid is None else names[cid]
    )
    if st.button("Open Video Wizard", type="primary"):
        st.query_params[WIZARD_PARAM] = "video"
        if campaign:
            st.query_params[CAMPAIGN_PARAM] = campaign
        st.rerun()  # a full rerun closes this dialog; the wizard dialog opens from the URL


@st.dialog("Video Wizard", width="large", on_dismiss=close_wizard)
def wizard_dialog() -> None:
    """The wizard in a dialog; it stays open across reruns and reloads while the URL says so."""
    render_wizard(WizardContext(runtime=runtime, user_id=user_id, on_close=close_wizard_and_refresh))


def open_workflow(workflow_id: str) -> None:
    """Open a workflow's wizard in the dialog."""
    st.query_params[WIZARD_PARAM] = "video"
    st.query_params[WORKFLOW_PARAM] = workflow_id


def video_card(workflow: VideoWorkflow) -> None:
    """One finished video: thumbnail, title, what made it."""
    video = workflow.video_output
    assert video is not None
    with st.container(border=True):
        if workflow.generated_frames:
            st.image(runtime.service.read_media(user_id=user_id, key=workflow.generated_frames[0].image_key))
        st.markdown(f"**{workflow.title}**{example_label(workflow)}")
        st.caption(f"{video.duration} s · {video.fps} fps · {video.model} ({video.provider})")
        st.button("Open", key=f"open-{workflow.id}", on_click=open_workflow, args=(workflow.id,))


st.title("Creatives")
filter_col, create_col = st.columns([3, 1], vertical_alignment="bottom")
with filter_col:
    campaign_id = campaign_filter(runtime, user_id, key="creatives_campaign")
with st.expander("New campaign"):
    new_campaign_form(runtime, user_id, key="creatives_new_campaign")
# One dialog at a time: the create dialog, or the wizard the URL names.
if create_col.button("Create", type="primary", icon=":material/add:"):
    create_dialog()
elif st.query_params.get(WIZARD_PARAM) == "video":
    wizard_dialog()

listing = runtime.service.list_workflows(user_id=user_id, campaign_id=campaign_id, page_size=MAX_WORKFLOWS)
if listing.total == 0 and campaign_id is None:  # an empty studio: show what it makes before asking for a brief
    try_an_example(runtime, user_id, key="creatives-try-example")
workflows = listing.items
videos = [w for w in workflows if w.video_output is not None]
st.subheader(f"Videos ({len(videos)})")
if not videos:
    st.info("No finished videos yet. Click **Create** to make your first one.")
columns = st.columns(CARD_COLUMNS)
for index, workflow in enumerate(videos):
    with columns[index % CARD_COLUMNS]:
        video_card(workflow)

keepers = [(w, f) for w in workflows for f in w.generated_frames if f.approved][:MAX_FRAMES_SHOWN]
st.subheader(f"Approved frames ({len(keepers)})")
if not keepers:
    st.caption("Frames you approve in the wizard appear here.")
frame_columns = st.columns(CARD_COLUMNS * 2)
for index, (workflow, frame) in enumerate(keepers):
    with frame_columns[index % len(frame_columns)]:
        st.image(
            runtime.service.read_media(user_id=user_id, key=frame.image_key),
            caption=f"{workflow.title} · frame {frame.frame_number + 1}",
        )
