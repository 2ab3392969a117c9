"""Prompt Lab page: compare refinement, frame and video models side by side, then adopt the best."""

import streamlit as st

from ui.lab_variations import render_frames_ab, render_video_variations
from ui.prompt_lab import current_run, render_history, render_run, render_run_form
from ui.session import cached_runtime, current_user_id

runtime = cached_runtime()
user_id = current_user_id()
st.title("Prompt Lab")
st.caption("Run one brief on several models at once, compare the results word by word, and use the best one.")
refine, frames, videos, history = st.tabs(["Refinement", "Frames A/B", "Video variations", "History"])
with refine:
    render_run_form(runtime, user_id)
    run = current_run(runtime, user_id)
    if run is not None:
        st.divider()
        render_run(runtime, user_id, run)
with frames:
    render_frames_ab(runtime, user_id)
with videos:
    render_video_variations(runtime, user_id)
with history:
    render_history(runtime, user_id)
