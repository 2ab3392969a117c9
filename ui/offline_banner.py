"""One slim banner on every page while any role is served by an offline stand-in, dismissible per session."""

from __future__ import annotations

import streamlit as st

from services.core.settings import Settings
from services.providers.offline_roles import offline_roles

DISMISSED_KEY = "offline_banner_dismissed"
ROLE_WORDS = {"refinement": "prompt refinement", "frames": "storyboard frames", "video": "video"}


def offline_sentence(roles: list[str]) -> str:
    """The banner's one sentence, naming the roles drawn locally."""
    named = [ROLE_WORDS[role] for role in roles]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return (
        f"No provider key is set for {listed}, so the studio makes them locally with its offline stand-ins: "
        "real files for trying the studio, not AI output."
    )


def render_offline_banner(settings: Settings) -> None:
    """Show the banner unless every role has a real provider or the user dismissed it this session."""
    roles = offline_roles(settings)
    if not roles or st.session_state.get(DISMISSED_KEY):
        return
    with st.container(border=True, key="offline-banner"):
        text, link, close = st.columns([6, 2, 2], vertical_alignment="center")
        text.markdown(f":material/cloud_off: {offline_sentence(roles)}")
        link.page_link("app_pages/settings.py", label="Provider status", icon=":material/tune:")
        if close.button("Dismiss", icon=":material/close:", key="dismiss-offline-banner", help="Hide it for this session"):
            st.session_state[DISMISSED_KEY] = True
            st.rerun()
