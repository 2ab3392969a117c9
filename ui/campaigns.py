"""Campaign widgets: pick one to filter by, or create a new one."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from services.bootstrap import Runtime
from services.core.errors import StudioError
from ui.session import campaign_service
from ui.widgets import show_error


def campaign_names(runtime: Runtime, user_id: str) -> dict[str, str]:
    """The user's campaigns, id → name."""
    return {c.id: c.name for c in campaign_service(runtime).list(user_id=user_id)}


def campaign_filter(runtime: Runtime, user_id: str, *, key: str, on_change: Callable[[], None] | None = None) -> str | None:
    """A campaign picker for filtering lists; None means all campaigns."""
    names = campaign_names(runtime, user_id)
    return st.selectbox(
        "Campaign",
        [None, *names],
        key=key,
        format_func=lambda cid: "All campaigns" if cid is None else names.get(cid, cid),
        on_change=on_change,
    )


def new_campaign_form(runtime: Runtime, user_id: str, *, key: str) -> None:
    """A small form that creates a campaign."""
    with st.form(key, clear_on_submit=True, border=False):
        name = st.text_input("New campaign name")
        if st.form_submit_button("Create Campaign"):
            try:
                created = campaign_service(runtime).create(user_id=user_id, name=name)
            except StudioError as exc:
                show_error(exc)
                return
            st.toast(f"Campaign “{created.name}” created.")


def rename_campaign_form(runtime: Runtime, user_id: str, *, key: str) -> None:
    """Rename one of the user's campaigns (those made from an API campaignId are named after the id)."""
    names = campaign_names(runtime, user_id)
    if not names:
        return
    with st.form(key, clear_on_submit=True, border=False):
        campaign_id = st.selectbox("Campaign to rename", list(names), format_func=lambda cid: names[cid])
        name = st.text_input("New name")
        if st.form_submit_button("Rename Campaign"):
            try:
                renamed = campaign_service(runtime).rename(user_id=user_id, campaign_id=campaign_id, name=name)
            except StudioError as exc:
                show_error(exc)
                return
            st.toast(f"Campaign renamed to “{renamed.name}”.")
