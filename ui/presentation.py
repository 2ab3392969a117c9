"""Presentation mode: the storyboard as full-width slides (arrow keys or buttons), then the video, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from services.bootstrap import Runtime
from services.core.errors import StudioError
from services.workflows.domain import VideoWorkflow
from ui.media_urls import media_src
from ui.widgets import show_error

PRESENT_PARAM = "present"
# Full screen: no header, toolbar or page padding; the slide takes the whole width.
FULL_SCREEN_CSS = """<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"] {display: none !important;}
.block-container, [data-testid="stMainBlockContainer"] {padding: 0.5rem 1rem 0 1rem !important; max-width: 100% !important;}
</style>"""


@dataclass(frozen=True)
class Slide:
    """One frame (image) or the closing video, with its caption."""

    caption: str
    image_src: str | None = None
    video_src: str | None = None


def slides_of(
    runtime: Runtime, workflow: VideoWorkflow, *, frames: bool = True, video: bool = True, ttl: int | None = None
) -> list[Slide]:
    """The workflow's frames in story order, then its video (signed, expiring URLs of those files only)."""
    count = len(workflow.generated_frames)
    deck = []
    if frames:
        for index, frame in enumerate(workflow.generated_frames):
            deck.append(
                Slide(
                    f"Frame {index + 1} of {count} · {frame.scene}", image_src=media_src(runtime, frame.image_key, ttl=ttl)
                )
            )
    if video and workflow.video_output is not None:
        deck.append(Slide("The video", video_src=media_src(runtime, workflow.video_output.video_key, ttl=ttl)))
    return deck


def render_presentation(deck: list[Slide], *, key: str, title: str, on_exit: Callable[[], None]) -> None:
    """One slide at a time, full width; ← and → (or the buttons) move, Esc leaves."""
    st.html(FULL_SCREEN_CSS)
    if not deck:
        st.info("Nothing to present yet: generate the frames first.")
        st.button("Exit presentation", on_click=on_exit, key=f"{key}-exit")
        return
    state = f"{key}-slide"
    index = min(max(0, st.session_state.get(state, 0)), len(deck) - 1)
    slide = deck[index]
    if slide.image_src is not None:
        st.image(slide.image_src, caption=f"{title} · {slide.caption}", width="stretch")
    else:
        st.video(slide.video_src, format="video/mp4", autoplay=True)
        st.caption(f"{title} · {slide.caption}")
    back, counter, forward, leave = st.columns([1, 1, 1, 1], vertical_alignment="center")
    back.button(
        "◀ Previous", key=f"{key}-prev", shortcut="Left", disabled=index == 0, on_click=_move, args=(state, index - 1)
    )
    counter.markdown(f"**{index + 1} / {len(deck)}**")
    forward.button(
        "Next ▶",
        key=f"{key}-next",
        shortcut="Right",
        disabled=index == len(deck) - 1,
        on_click=_move,
        args=(state, index + 1),
    )
    leave.button("Exit presentation", key=f"{key}-exit", shortcut="Esc", on_click=on_exit)


def _move(state: str, index: int) -> None:
    st.session_state[state] = index


def leave_presentation() -> None:
    """Back from presentation mode to the page it was opened from."""
    st.query_params.pop(PRESENT_PARAM, None)


def render_owner_presentation(runtime: Runtime, user_id: str, workflow_id: str) -> None:
    """The owner presents one of their workflows (opened with ?workflow=<id>&present=1)."""
    try:
        workflow = runtime.service.get_workflow(user_id=user_id, workflow_id=workflow_id)
    except StudioError as exc:
        show_error(exc)
        st.button("Exit presentation", on_click=leave_presentation)
        return
    render_presentation(
        slides_of(runtime, workflow), key=f"present-{workflow.id}", title=workflow.title, on_exit=leave_presentation
    )
