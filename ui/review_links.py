"""The owner's "Share for review" panel: create a review link (shown once), list and revoke links, present."""

from __future__ import annotations

import streamlit as st

from services.bootstrap import Runtime
from services.review.domain import ReviewLink
from services.workflows.domain import VideoWorkflow
from ui.media_urls import browser_origin
from ui.presentation import PRESENT_PARAM
from ui.review_page import REVIEW_PARAM
from ui.widgets import act

SCOPES = {"both": "Storyboard and video", "storyboard": "Storyboard only", "video": "Video only"}
PERMISSIONS = {"review": "View and review", "view": "View only"}
CREATED_KEY = "review_link_created"  # the URL of the link just created: shown once, never stored


def render_share_panel(runtime: Runtime, user_id: str, workflow: VideoWorkflow) -> None:
    """Review links for this workflow, and the way into presentation mode."""
    review = runtime.review
    if review is None:
        return
    present, _ = st.columns([1, 3])
    present.button("Present", icon=":material/slideshow:", key=f"present-{workflow.id}", on_click=_start_presenting)
    with st.expander("Share for review", icon=":material/share:"):
        with st.form(f"share-{workflow.id}"):
            scope_col, permission_col, days_col = st.columns(3)
            scope = scope_col.selectbox("Shows", list(SCOPES), format_func=SCOPES.__getitem__)
            permission = permission_col.selectbox("Reviewers can", list(PERMISSIONS), format_func=PERMISSIONS.__getitem__)
            days = days_col.number_input(
                "Expires after (days)",
                min_value=1,
                max_value=runtime.settings.REVIEW_LINK_MAX_DAYS,
                value=runtime.settings.REVIEW_LINK_DEFAULT_DAYS,
            )
            passcode = st.text_input("Passcode (optional)", type="password")
            submitted = st.form_submit_button("Create review link", type="primary")
        if submitted:
            act(
                "Creating the link…",
                lambda: review.create_link(
                    user_id=user_id,
                    workflow_id=workflow.id,
                    scope=scope,
                    permission=permission,
                    expires_in_days=int(days),
                    passcode=passcode or None,
                ),
                then=lambda made: _remember(runtime, made[1]),
            )
        created = st.session_state.get(CREATED_KEY)
        if created:
            st.success("Copy this link now: it is shown only once.")
            st.text_input("Review link", value=created, help="Send this to your reviewers.")
        now = runtime.service.clock()
        for link in review.list_links(user_id=user_id, workflow_id=workflow.id):
            _link_row(runtime, user_id, workflow, link, status=link.status(now))


def _remember(runtime: Runtime, token: str) -> None:
    st.session_state[CREATED_KEY] = f"{browser_origin(runtime)}/?{REVIEW_PARAM}={token}"
    st.rerun()


def _start_presenting() -> None:
    st.query_params[PRESENT_PARAM] = "1"


def _link_row(runtime: Runtime, user_id: str, workflow: VideoWorkflow, link: ReviewLink, *, status: str) -> None:
    info, action = st.columns([4, 1], vertical_alignment="center")
    lock = " · passcode" if link.passcode_hash else ""
    info.caption(
        f"**{status}** · {SCOPES[link.scope.value]} · {PERMISSIONS[link.permission.value]}{lock} · "
        f"created {link.created_at:%Y-%m-%d %H:%M}, expires {link.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    if status == "active" and action.button("Revoke", key=f"revoke-{link.id}"):
        review = runtime.review
        assert review is not None
        act("Revoking…", lambda: review.revoke_link(user_id=user_id, workflow_id=workflow.id, link_id=link.id))
