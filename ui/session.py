"""Helpers shared by the Streamlit pages: the cached runtime and the signed-in user."""

from __future__ import annotations

import streamlit as st

from services.analytics.service import AnalyticsService
from services.bootstrap import Runtime, get_runtime
from services.workflows.campaigns import CampaignService
from services.workflows.creatives import CreativesQuery


@st.cache_resource(show_spinner=False)
def cached_runtime() -> Runtime:
    """The process's runtime, shared by every session."""
    return get_runtime()


def current_user_id() -> str:
    """The signed-in user's id (streamlit_app.py stops the run before any page when nobody is signed in)."""
    user_id = st.session_state.get("user_id")
    if not user_id:
        st.stop()
    return user_id


def campaign_service(runtime: Runtime) -> CampaignService:
    """The runtime's campaign service."""
    return runtime.campaigns


def analytics_service(runtime: Runtime) -> AnalyticsService:
    """The runtime's analytics service."""
    return runtime.analytics


def creatives_query(runtime: Runtime) -> CreativesQuery:
    """The user's finished videos and approved frames, queried in the database."""
    return CreativesQuery(runtime.db)
