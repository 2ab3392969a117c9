"""Stakeholder comments in the owner's Frames and Result steps: by frame, with name, time and decision.

Step pages call `stakeholder_comments` once, then `render_frame_comments` under each frame; "Use as feedback"
copies a comment into that frame's stored regeneration feedback (the frame is rejected with it; a finished workflow
goes back to frame review first), then calls the page's `on_used` (open the feedback box, or go to the Frames step).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from services.bootstrap import Runtime
from services.core.errors import StudioError
from services.review.domain import Decision, ReviewComment
from services.review.service import ReviewService
from services.workflows.domain import VideoWorkflow, WorkflowStep

DECISION_BADGES = {
    Decision.APPROVE: ("Approved", "green"),
    Decision.CHANGES: ("Requested changes", "orange"),
    Decision.COMMENT: ("Comment", "blue"),
}
PROBLEM_KEY = "review_comment_problem"


def _review(runtime: Runtime) -> ReviewService | None:
    return runtime.review


def stakeholder_comments(runtime: Runtime, user_id: str, workflow: VideoWorkflow) -> dict[int | None, list[ReviewComment]]:
    """The workflow's stakeholder comments by frame number (None: the video), oldest first."""
    review = _review(runtime)
    if review is None:
        return {}
    grouped: dict[int | None, list[ReviewComment]] = {}
    for comment in review.comments_for_owner(user_id=user_id, workflow_id=workflow.id):
        grouped.setdefault(comment.frame_number, []).append(comment)
    return grouped


def render_frame_comments(
    runtime: Runtime,
    user_id: str,
    workflow: VideoWorkflow,
    comments: list[ReviewComment],
    *,
    on_used: Callable[[ReviewComment], None] | None = None,
) -> None:
    """One frame's stakeholder comments; at frame review each written one has "Use as feedback"."""
    if not comments:
        return
    problem = st.session_state.pop(PROBLEM_KEY, None)
    if problem:
        st.error(problem)
    can_use = workflow.current_step in (WorkflowStep.FRAME_REVIEW, WorkflowStep.COMPLETED)  # completed: reopens frames
    st.markdown(f"**Stakeholder comments ({len(comments)})**")
    for comment in comments:
        label, color = DECISION_BADGES[comment.decision]
        with st.container(border=True):
            st.markdown(f"**{comment.reviewer_name}** :{color}-badge[{label}] · {comment.created_at:%Y-%m-%d %H:%M} UTC")
            if comment.body:
                st.write(comment.body)
            if can_use and comment.body and comment.frame_number is not None:
                st.button(
                    "Use as feedback",
                    key=f"use-feedback-{comment.id}",
                    on_click=_use_as_feedback,
                    args=(runtime, user_id, workflow.id, comment.id, on_used),
                )


def _use_as_feedback(
    runtime: Runtime, user_id: str, workflow_id: str, comment_id: str, on_used: Callable[[ReviewComment], None] | None
) -> None:
    """A callback: it runs before the rerun draws the frame's widgets, so they show the stored feedback."""
    review = _review(runtime)
    assert review is not None
    try:
        review.use_as_feedback(user_id=user_id, workflow_id=workflow_id, comment_id=comment_id)
    except StudioError as exc:
        st.session_state[PROBLEM_KEY] = exc.message
        return
    if on_used is not None:
        on_used(next(c for c in review.comments_for_owner(user_id=user_id, workflow_id=workflow_id) if c.id == comment_id))


def render_all_comments(
    runtime: Runtime, user_id: str, workflow: VideoWorkflow, *, on_used: Callable[[ReviewComment], None] | None = None
) -> None:
    """Every stakeholder comment, frame by frame and then the video (the Result step)."""
    grouped = stakeholder_comments(runtime, user_id, workflow)
    if not grouped:
        return
    with st.expander(f"Stakeholder comments ({sum(len(c) for c in grouped.values())})", expanded=True):
        for index, frame in enumerate(workflow.generated_frames):
            if grouped.get(frame.frame_number):
                st.markdown(f"##### Frame {index + 1} · {frame.scene}")
                render_frame_comments(runtime, user_id, workflow, grouped[frame.frame_number], on_used=on_used)
        if grouped.get(None):
            st.markdown("##### The video")
            for comment in grouped[None]:
                at = f" at {comment.at_seconds:g} s" if comment.at_seconds is not None else ""
                st.caption(f"**{comment.reviewer_name}**{at} · {comment.created_at:%Y-%m-%d %H:%M} UTC — {comment.body}")
