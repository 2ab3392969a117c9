"""Helpers shared by the Streamlit pages: the cached runtime and service."""

from __future__ import annotations

import streamlit as st

from services.runtime import Runtime, get_runtime


@st.cache_resource(show_spinner=False)
def cached_runtime() -> Runtime:
    """The process's runtime, shared by every session."""
    return get_runtime()
