"""The Streamlit UI script: signs the user in, then routes the pages. Started through app.py."""

import uuid

import streamlit as st

from services.core.log_setup import bound
from ui.auth import render_account_box, render_sign_in, signed_in_user
from ui.database_restart import wait_for_the_database
from ui.offline_banner import render_offline_banner
from ui.presentation import PRESENT_PARAM, render_owner_presentation
from ui.review_page import REVIEW_PARAM
from ui.session import cached_runtime
from ui.wizard_context import WORKFLOW_PARAM
from ui.wizard_view import WIZARD_STEPS, WizardStep

st.set_page_config(page_title="Video Workflow Studio", page_icon="🎬", layout="wide")
runtime = cached_runtime()
if runtime.database_restarting():  # nothing below can read its data until it is back
    wait_for_the_database(runtime)
    st.stop()
if st.query_params.get(REVIEW_PARAM):
    # A stakeholder's review link (/?review=<token>): public, before the sign-in gate, with no navigation or sidebar.
    # The page sees only what the token grants; the signed-in account (if any) plays no part.
    review = st.Page("app_pages/review.py", title="Review", icon=":material/rate_review:", url_path="review", default=True)
    st.navigation([review], position="hidden").run()
    st.stop()
user = signed_in_user(runtime)
STEP_HELP = {
    WizardStep.BRIEF: "Title, prompt, audience, tone, duration, aspect ratio and style: the brief that starts a video.",
    WizardStep.REFINE: "Refine the brief into a production prompt, round by round, with notes and a model per round.",
    WizardStep.FRAMES: "Generate the storyboard frames, approve or reject each with one click, regenerate the rejected.",
    WizardStep.VIDEO: "Pick the video model, fps and duration, see the cost and your quota, render with live progress.",
    WizardStep.RESULT: "Watch the finished video and download the MP4.",
}
STEP_ICONS = {
    WizardStep.BRIEF: ":material/edit_note:",
    WizardStep.REFINE: ":material/auto_fix_high:",
    WizardStep.FRAMES: ":material/photo_library:",
    WizardStep.VIDEO: ":material/movie_edit:",
    WizardStep.RESULT: ":material/play_circle:",
}
studio = [
    st.Page(
        "app_pages/creatives.py",
        title="Creatives",
        icon=":material/movie:",
        default=True,
        help="Your finished videos and the frames worth keeping, by campaign. Start a new video here.",
    ),
    st.Page(
        "app_pages/workflows.py",
        title="My Workflows",
        icon=":material/list:",
        url_path="workflows",
        help="Every workflow you started, newest activity first. Open, resume or delete one.",
    ),
    st.Page(
        "app_pages/prompt_lab.py",
        title="Prompt Lab",
        icon=":material/science:",
        url_path="prompt-lab",
        help="Run one brief on 2-4 refinement models at once and compare them; frames on two image models; "
        "two video variations. Adopt the best into a workflow. Every run is kept and exportable.",
    ),
    st.Page(
        "app_pages/analytics.py",
        title="Analytics",
        icon=":material/bar_chart:",
        url_path="analytics",
        help="Charts over a period: workflows created, refinement rounds, approval and video success rates, "
        "generation time, errors and cost by model. Admins see every user's figures.",
    ),
    st.Page(
        "app_pages/settings.py",
        title="Settings",
        icon=":material/settings:",
        url_path="settings",
        help="Your password, provider keys and API keys.",
    ),
    # The old one-page wizard URL: hidden, it forwards to the workflow's step page.
    st.Page("app_pages/wizard.py", title="Video Wizard", url_path="wizard", visibility="hidden"),
]
wizard = [
    st.Page(step.page, title=f"{step.number} {step.label}", icon=STEP_ICONS[step], url_path=step.value, help=STEP_HELP[step])
    for step in WIZARD_STEPS
]
pages = {"Studio": studio, "Video Wizard": wizard}
# Signed out, the pages stay registered (hidden) so the URL, and the workflow in it, survive signing in.
presenting = user is not None and bool(st.query_params.get(PRESENT_PARAM)) and bool(st.query_params.get(WORKFLOW_PARAM))
navigation = st.navigation(pages, position="sidebar" if user and not presenting else "hidden")
if user is None:
    render_sign_in(runtime)
    st.stop()
if presenting:  # full screen: the owner's storyboard as slides, then the video
    render_owner_presentation(runtime, user.id, str(st.query_params.get(WORKFLOW_PARAM)))
    st.stop()
render_account_box(user, runtime)
render_offline_banner(runtime.settings)
# Each script run is one UI "request": its log lines carry a run id and the open workflow.
with bound(request_id=f"ui-{uuid.uuid4().hex[:16]}", workflow_id=st.query_params.get(WORKFLOW_PARAM)):
    navigation.run()
