"""Creatives: the user's finished videos and approved frames as cards, by campaign, page by page; new videos start here."""

import streamlit as st

from services.workflows.creatives import CreativesPage, FrameCreative, VideoCreative
from ui.campaigns import campaign_filter, campaign_names, new_campaign_form, rename_campaign_form
from ui.examples import try_an_example
from ui.media import media_url
from ui.session import cached_runtime, creatives_query, current_user_id
from ui.widgets import EXAMPLE_BADGE
from ui.wizard import render_step
from ui.wizard_context import CAMPAIGN_PARAM, STEP_PARAM, WORKFLOW_PARAM, WizardContext, remember_workflow
from ui.wizard_view import WizardStep

WIZARD_PARAM = "wizard"
CARD_COLUMNS = 3
VIDEOS_PER_PAGE = 12
FRAMES_PER_PAGE = 24
VIDEOS_PAGE_KEY, FRAMES_PAGE_KEY = "creatives_videos_page", "creatives_frames_page"

runtime = cached_runtime()
user_id = current_user_id()


def close_wizard() -> None:
    """Forget the wizard's URL state: the dialog closes and the cards below are re-read."""
    for name in (WIZARD_PARAM, WORKFLOW_PARAM, STEP_PARAM, CAMPAIGN_PARAM):
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
        st.query_params.pop(WORKFLOW_PARAM, None)  # a new video starts at an empty brief
        st.query_params.pop(STEP_PARAM, None)
        if campaign:
            st.query_params[CAMPAIGN_PARAM] = campaign
        st.rerun()  # a full rerun closes this dialog; the wizard dialog opens from the URL


@st.dialog("Video Wizard", width="large", on_dismiss=close_wizard)
def wizard_dialog() -> None:
    """The wizard's step renderers in a dialog; it stays open across reruns and reloads while the URL says so."""
    workflow_id = st.query_params.get(WORKFLOW_PARAM)
    if workflow_id:
        remember_workflow(workflow_id)  # the step pages continue with the same workflow
    requested = st.query_params.get(STEP_PARAM)
    step = WizardStep(requested) if requested in {s.value for s in WizardStep} else None
    ctx = WizardContext(
        runtime=runtime, user_id=user_id, workflow_id=workflow_id, in_dialog=True, on_close=close_wizard_and_refresh
    )
    render_step(ctx, step)


def open_workflow(workflow_id: str) -> None:
    """Open a workflow's wizard in the dialog, at its own step."""
    st.query_params[WIZARD_PARAM] = "video"
    st.query_params[WORKFLOW_PARAM] = workflow_id
    st.query_params.pop(STEP_PARAM, None)


def first_pages() -> None:
    """Another campaign: both lists start again at their first page."""
    st.session_state[VIDEOS_PAGE_KEY] = st.session_state[FRAMES_PAGE_KEY] = 1


def turn(key: str, by: int) -> None:
    st.session_state[key] = st.session_state.get(key, 1) + by


def pager(listing: CreativesPage, key: str, noun: str) -> None:
    """Previous / Next under a list, with where the user is."""
    if listing.pages <= 1:
        return
    with st.container(horizontal=True, vertical_alignment="center", key=f"{key}-pager"):
        st.button(f"Previous {noun}", key=f"{key}-prev", disabled=listing.page <= 1, on_click=turn, args=(key, -1))
        st.caption(f"Page {listing.page} of {listing.pages}")
        st.button(f"Next {noun}", key=f"{key}-next", disabled=listing.page >= listing.pages, on_click=turn, args=(key, 1))


def page_of(key: str) -> int:
    return max(1, int(st.session_state.get(key, 1)))


def video_card(item: VideoCreative, campaigns: dict[str, str]) -> None:
    """One finished video: thumbnail, title, campaign, what made it."""
    video = item.video
    with st.container(border=True):
        if item.thumbnail_key:
            st.image(media_url(runtime, item.thumbnail_key), alt=f"{item.title}: first frame")
        st.markdown(f"**{item.title}**" + (f" {EXAMPLE_BADGE}" if item.example else ""))
        campaign = f" · {campaigns.get(item.campaign_id, item.campaign_id)}" if item.campaign_id else ""
        st.caption(f"{video.duration} s · {video.fps} fps · {video.model} ({video.provider}){campaign}")
        st.button("Open", key=f"open-{item.workflow_id}", on_click=open_workflow, args=(item.workflow_id,))


def frame_tile(item: FrameCreative) -> None:
    st.image(
        media_url(runtime, item.image_key),
        caption=f"{item.title} · Frame {item.position} of {item.frame_count} · {item.scene}",
    )


st.title("Creatives")
filter_col, create_col = st.columns([3, 1], vertical_alignment="bottom")
with filter_col:
    campaign_id = campaign_filter(runtime, user_id, key="creatives_campaign", on_change=first_pages)
with st.expander("Campaigns: new, rename"):
    new_campaign_form(runtime, user_id, key="creatives_new_campaign")
    rename_campaign_form(runtime, user_id, key="creatives_rename_campaign")
# One dialog at a time: the create dialog, or the wizard the URL names.
if create_col.button("Create", type="primary", icon=":material/add:"):
    create_dialog()
elif st.query_params.get(WIZARD_PARAM) == "video":
    wizard_dialog()

if campaign_id is None and runtime.service.list_workflows(user_id=user_id, page_size=1).total == 0:
    try_an_example(runtime, user_id, key="creatives-try-example")  # an empty studio: show what it makes first
query = creatives_query(runtime)
names = campaign_names(runtime, user_id)
videos = query.finished_videos(
    user_id=user_id, campaign_id=campaign_id, page=page_of(VIDEOS_PAGE_KEY), page_size=VIDEOS_PER_PAGE
)
if videos.page > videos.pages:  # the list shrank (deleted elsewhere): show its last page
    st.session_state[VIDEOS_PAGE_KEY] = videos.pages
    videos = query.finished_videos(user_id=user_id, campaign_id=campaign_id, page=videos.pages, page_size=VIDEOS_PER_PAGE)
st.subheader(f"Videos ({videos.total})")
if not videos.total:
    st.info("No finished videos yet. Click **Create** to make your first one.")
columns = st.columns(CARD_COLUMNS)
for index, item in enumerate(videos.items):
    with columns[index % CARD_COLUMNS]:
        video_card(item, names)
pager(videos, VIDEOS_PAGE_KEY, "videos")

frames = query.approved_frames(
    user_id=user_id, campaign_id=campaign_id, page=page_of(FRAMES_PAGE_KEY), page_size=FRAMES_PER_PAGE
)
if frames.page > frames.pages:
    st.session_state[FRAMES_PAGE_KEY] = frames.pages
    frames = query.approved_frames(user_id=user_id, campaign_id=campaign_id, page=frames.pages, page_size=FRAMES_PER_PAGE)
st.subheader(f"Approved frames ({frames.total})")
if not frames.total:
    st.caption("Frames you approve in the wizard appear here.")
frame_columns = st.columns(CARD_COLUMNS * 2)
for index, frame in enumerate(frames.items):
    with frame_columns[index % len(frame_columns)]:
        frame_tile(frame)
pager(frames, FRAMES_PAGE_KEY, "frames")
