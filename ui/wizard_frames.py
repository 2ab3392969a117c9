"""Wizard step 3: generate the storyboard frames, then review them one click at a time.

Every decision shown is the stored one: the cards hold no decision widgets, only buttons that write through the
service, so Approve All, a regeneration, a restore or a change from another tab or the API shows at once.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from services.core.errors import StudioError
from services.providers.registry import ModelRole
from services.workflows.domain import GeneratedFrame, VideoWorkflow, WorkflowStep
from services.workflows.rules import FrameReview
from ui.media import media_url
from ui.model_picker import model_picker
from ui.review_comments import render_frame_comments, stakeholder_comments
from ui.review_links import render_share_panel
from ui.widgets import act, model_ran, show_error
from ui.wizard_context import WizardContext
from ui.wizard_view import (
    REFINE_PAGE_STEPS,
    WizardStep,
    can_continue_to_video,
    decision_of,
    frame_label,
    rejected_frame_numbers,
)

GALLERY_COLUMNS = 3
DECISION_COLORS = {"Approved": "green", "Rejected": "red", "Pending review": "gray"}


def render_frames(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    """Step 3: the generate form until frames exist, then the review gallery and its actions."""
    reviewing = workflow.current_step is WorkflowStep.FRAME_REVIEW
    if workflow.current_step in REFINE_PAGE_STEPS or workflow.current_step is WorkflowStep.FRAME_GENERATION:
        _generate_form(ctx, workflow)
    if not workflow.generated_frames:
        return
    render_share_panel(ctx.runtime, ctx.user_id, workflow)
    _enlarged(ctx, workflow)
    comments = stakeholder_comments(ctx.runtime, ctx.user_id, workflow)
    columns = st.columns(GALLERY_COLUMNS)
    for index, frame in enumerate(workflow.generated_frames):
        with columns[index % GALLERY_COLUMNS]:
            _frame_card(ctx, workflow, frame, reviewing=reviewing)
            render_frame_comments(  # stakeholders' decisions from review links, under their frame
                ctx.runtime,
                ctx.user_id,
                workflow,
                comments.get(frame.frame_number, []),
                on_used=partial(_feedback_used, workflow, frame.frame_number),
            )
    for frame in workflow.generated_frames:
        if frame.history:
            _versions(ctx, workflow, frame, reviewing=reviewing)
    if reviewing:
        _frame_actions(ctx, workflow)
    elif workflow.current_step in (WorkflowStep.VIDEO_GENERATION, WorkflowStep.COMPLETED):
        st.caption("These are the approved frames the video is made from.")


def _generate_form(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    s = ctx.runtime.settings
    model_col, count_col = st.columns(2)
    model, unusable = model_picker(
        ctx.runtime.models,
        ModelRole.FRAMES,
        label="Frame model",
        current=workflow.model_selections.frames,
        key=f"frame-model-{workflow.id}",
        where=model_col,
    )
    count = count_col.number_input(
        "Number of frames",
        min_value=1,
        max_value=s.MAX_FRAME_COUNT,
        value=workflow.planned_frame_count or min(s.DEFAULT_FRAME_COUNT, s.MAX_FRAME_COUNT),
        key=f"frame-count-{workflow.id}",
    )
    if workflow.generated_frames:
        st.caption(f"{len(workflow.generated_frames)} frame(s) were kept; generating makes only the missing ones.")
    generate_col, back_col = st.columns(2)
    if generate_col.button("Generate Frames", type="primary", disabled=unusable is not None, help=unusable):
        act(
            f"Generating {count} frame(s) with {model}…",
            lambda: ctx.runtime.service.generate_frames(
                user_id=ctx.user_id, workflow_id=workflow.id, frame_count=int(count), model=model
            ),
        )
    with back_col:
        if workflow.current_step in REFINE_PAGE_STEPS:
            ctx.link(WizardStep.REFINE, label="Back to Refine", key="-back")


def _large_key(workflow: VideoWorkflow) -> str:
    return f"wizard_large_frame_{workflow.id}"


def _rejecting_key(workflow: VideoWorkflow) -> str:
    return f"wizard_rejecting_{workflow.id}"


def _enlarged(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    """The frame the user clicked, large, above the gallery."""
    frame = workflow.frame(st.session_state.get(_large_key(workflow), -1))
    if frame is None:
        return
    with st.container(border=True):
        st.image(media_url(ctx.runtime, frame.image_key), caption=frame_label(workflow, frame), width="stretch")
        if st.button("Close large view", key="wizard-close-large", icon=":material/close:"):
            st.session_state.pop(_large_key(workflow), None)
            st.rerun()


def _frame_card(ctx: WizardContext, workflow: VideoWorkflow, frame: GeneratedFrame, *, reviewing: bool) -> None:
    """One frame: image (click to enlarge), its stored decision, Approve and Reject."""
    n = frame.frame_number
    decision = decision_of(frame)
    with st.container(border=True, key=f"frame-card-{n}"):
        url = media_url(ctx.runtime, frame.image_key)
        st.image(url, link=url, alt=f"{frame_label(workflow, frame)}: {frame.prompt[:120]}")  # a click opens it full size
        st.markdown(f"**{frame_label(workflow, frame)}** · v{frame.version}")
        st.badge(decision, color=DECISION_COLORS[decision])  # type: ignore[arg-type]
        if frame.feedback and not frame.approved:
            st.caption(f"Feedback: {frame.feedback}")
        if st.button("View large", key=f"large-{n}", icon=":material/zoom_in:", type="tertiary"):
            st.session_state[_large_key(workflow)] = n
            st.rerun()
        if not reviewing:
            return
        approve_col, reject_col = st.columns(2)
        if approve_col.button("Approve", key=f"approve-{n}", disabled=frame.approved, icon=":material/check:"):
            _review(ctx, workflow, FrameReview(n, True))
        if reject_col.button("Reject", key=f"reject-{n}", icon=":material/close:"):
            st.session_state.setdefault(_rejecting_key(workflow), set()).add(n)
        if n in st.session_state.get(_rejecting_key(workflow), set()):
            _reject_form(ctx, workflow, frame)


def _feedback_used(workflow: VideoWorkflow, frame_number: int, _comment: object) -> None:
    open_feedback_box(workflow, frame_number)


def open_feedback_box(workflow: VideoWorkflow, frame_number: int) -> None:
    """Open a frame's feedback box, drawn afresh from the stored feedback (after "Use as feedback")."""
    frame = workflow.frame(frame_number)
    st.session_state.setdefault(_rejecting_key(workflow), set()).add(frame_number)
    if frame is not None:
        st.session_state.pop(f"reject-feedback-{frame_number}-v{frame.version}", None)


def _reject_form(ctx: WizardContext, workflow: VideoWorkflow, frame: GeneratedFrame) -> None:
    """Feedback for a rejection; empty feedback is refused here, next to the frame."""
    n = frame.frame_number
    with st.form(f"reject-form-{n}-v{frame.version}", border=False):
        feedback = st.text_area(
            f"What should change in frame {workflow.generated_frames.index(frame) + 1}?",
            value=frame.feedback or "",
            key=f"reject-feedback-{n}-v{frame.version}",
        )
        send_col, cancel_col = st.columns(2)
        send = send_col.form_submit_button("Reject with feedback", type="primary")
        cancel = cancel_col.form_submit_button("Cancel")
    if cancel:
        st.session_state[_rejecting_key(workflow)].discard(n)
        st.rerun()
    if not send:
        return
    if not feedback.strip():
        st.error("Say what should change before rejecting this frame.", icon="✍️")
        return
    st.session_state[_rejecting_key(workflow)].discard(n)
    _review(ctx, workflow, FrameReview(n, False, feedback.strip()))


def _review(ctx: WizardContext, workflow: VideoWorkflow, review: FrameReview) -> None:
    try:
        ctx.runtime.service.review_frames(user_id=ctx.user_id, workflow_id=workflow.id, reviews=[review])
    except StudioError as exc:
        show_error(exc)
        return
    st.rerun()


def _versions(ctx: WizardContext, workflow: VideoWorkflow, frame: GeneratedFrame, *, reviewing: bool) -> None:
    """The current version beside the earlier ones, each with Use this version."""
    label = frame_label(workflow, frame).split(" · ")[0]
    with st.expander(f"{label}: earlier versions ({len(frame.history)})", expanded=reviewing):
        columns = st.columns(len(frame.history) + 1)
        with columns[0]:
            st.image(
                media_url(ctx.runtime, frame.image_key),
                caption=f"Current · v{frame.version} · {model_ran(frame.model, frame.requested_model, ctx.runtime.models)}",
            )
        for column, version in zip(columns[1:], reversed(frame.history), strict=True):
            with column:
                feedback = f" · feedback: {version.feedback}" if version.feedback else ""
                st.image(
                    media_url(ctx.runtime, version.image_key),
                    caption=f"v{version.version} · {version.model}{feedback}",
                )
                if reviewing and st.button("Use this version", key=f"restore-{frame.frame_number}-{version.version}"):
                    act(
                        "Restoring…",
                        partial(
                            ctx.runtime.service.restore_frame_version,
                            user_id=ctx.user_id,
                            workflow_id=workflow.id,
                            frame_number=frame.frame_number,
                            version=version.version,
                        ),
                    )


def _frame_actions(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    rejected = rejected_frame_numbers(workflow)
    approve_col, regenerate_col, continue_col = st.columns(3)
    if approve_col.button("Approve All", disabled=workflow.frames_approved, icon=":material/done_all:"):
        reviews = [FrameReview(f.frame_number, True) for f in workflow.generated_frames]
        act(
            "Approving…",
            lambda: ctx.runtime.service.review_frames(user_id=ctx.user_id, workflow_id=workflow.id, reviews=reviews),
        )
    if regenerate_col.button(f"Regenerate Rejected ({len(rejected)})", disabled=not rejected):
        act(
            f"Regenerating {len(rejected)} frame(s)…",
            lambda: ctx.runtime.service.regenerate_frames(
                user_id=ctx.user_id, workflow_id=workflow.id, frame_numbers=rejected
            ),
        )
    if continue_col.button(
        "Continue to Video",
        type="primary",
        disabled=not can_continue_to_video(workflow),
        help=None if workflow.frames_approved else "Approve every frame first.",
    ):
        ctx.go(WizardStep.VIDEO)
