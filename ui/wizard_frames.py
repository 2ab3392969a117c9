"""Wizard steps 2–4: frames (generate, review, regenerate, versions), video settings, and the finished video."""

from __future__ import annotations

import re

import streamlit as st

from services.core.errors import StudioError
from services.providers.registry import ModelRole
from services.workflows.domain import GeneratedFrame, VideoWorkflow, WorkflowStep
from services.workflows.rules import FrameReview
from ui.model_picker import model_picker
from ui.widgets import act, badge_row, model_ran
from ui.wizard_context import WizardContext
from ui.wizard_view import (
    REFINEMENT_STEPS,
    VIEW_VIDEO,
    can_continue_to_video,
    frame_label,
    quota_text,
    rejected_frame_numbers,
)

APPROVE, REJECT, PENDING = "Approve", "Reject", "Pending"
GALLERY_COLUMNS = 3


def render_frames(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    """Step 2: generate the storyboard frames, then review them."""
    if workflow.current_step in REFINEMENT_STEPS or workflow.current_step is WorkflowStep.FRAME_GENERATION:
        _generate_form(ctx, workflow)
    if workflow.generated_frames and workflow.current_step is WorkflowStep.FRAME_REVIEW:
        _review_gallery(ctx, workflow)
        _frame_actions(ctx, workflow)


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
            then=lambda _: ctx.go(),
        )
    if workflow.current_step in REFINEMENT_STEPS and back_col.button("Back to Refinement"):
        ctx.go(None)


def _status_of(frame: GeneratedFrame) -> str:
    if frame.approved:
        return APPROVE
    return REJECT if frame.feedback else PENDING


def _review_gallery(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    """Every frame with approve / reject and a feedback box; one save sends all decisions."""
    images = {
        f.frame_number: ctx.runtime.service.read_media(user_id=ctx.user_id, key=f.image_key)
        for f in workflow.generated_frames
    }
    with st.form(f"review-{workflow.id}"):
        columns = st.columns(GALLERY_COLUMNS)
        choices: dict[int, tuple[str, str]] = {}
        for index, frame in enumerate(workflow.generated_frames):
            with columns[index % GALLERY_COLUMNS]:
                tag = f"{frame.frame_number}-v{frame.version}"  # new widgets for a new version of the frame
                st.image(
                    images[frame.frame_number],
                    caption=f"{frame_label(workflow, frame.frame_number)} · v{frame.version} · {frame.model}",
                )
                decision = st.radio(
                    f"Frame {frame.frame_number + 1}",
                    [PENDING, APPROVE, REJECT],
                    horizontal=True,
                    index=[PENDING, APPROVE, REJECT].index(_status_of(frame)),
                    key=f"decision-{tag}",
                )
                feedback = st.text_area(
                    f"Feedback for frame {frame.frame_number + 1}",
                    value=frame.feedback or "",
                    key=f"feedback-{tag}",
                    placeholder="What should change? (needed to reject)",
                )
                choices[frame.frame_number] = (decision, feedback)
        submitted = st.form_submit_button("Save Reviews")
    if submitted:
        _save_reviews(ctx, workflow, choices)
    for frame in workflow.generated_frames:
        if frame.history:
            _versions(ctx, workflow, frame)


def _save_reviews(ctx: WizardContext, workflow: VideoWorkflow, choices: dict[int, tuple[str, str]]) -> None:
    missing = [str(n + 1) for n, (decision, feedback) in choices.items() if decision == REJECT and not feedback.strip()]
    if missing:
        st.warning(f"Say what should change in frame {', '.join(missing)} before rejecting it.")
        return
    reviews = [
        FrameReview(n, decision == APPROVE, feedback.strip() if decision == REJECT else None)
        for n, (decision, feedback) in choices.items()
        if decision != PENDING
    ]
    if not reviews:
        st.warning("Approve or reject at least one frame, then save.")
        return
    act(
        "Saving your review…",
        lambda: ctx.runtime.service.review_frames(user_id=ctx.user_id, workflow_id=workflow.id, reviews=reviews),
    )


def _versions(ctx: WizardContext, workflow: VideoWorkflow, frame: GeneratedFrame) -> None:
    with st.expander(f"{frame_label(workflow, frame.frame_number)}: earlier versions ({len(frame.history)})"):
        columns = st.columns(max(len(frame.history), 1))
        for column, version in zip(columns, frame.history, strict=False):
            with column:
                st.image(
                    ctx.runtime.service.read_media(user_id=ctx.user_id, key=version.image_key),
                    caption=f"v{version.version} · {version.model}"
                    + (f" · feedback: {version.feedback}" if version.feedback else ""),
                )
                if st.button(f"Use version {version.version}", key=f"restore-{frame.frame_number}-{version.version}"):
                    act(
                        "Restoring…",
                        lambda v=version.version: ctx.runtime.service.restore_frame_version(
                            user_id=ctx.user_id, workflow_id=workflow.id, frame_number=frame.frame_number, version=v
                        ),
                    )


def _frame_actions(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    rejected = rejected_frame_numbers(workflow)
    approve_col, regenerate_col, continue_col = st.columns(3)
    if approve_col.button("Approve All", disabled=workflow.frames_approved):
        reviews = [FrameReview(f.frame_number, True) for f in workflow.generated_frames]
        act(
            "Approving…",
            lambda: ctx.runtime.service.review_frames(user_id=ctx.user_id, workflow_id=workflow.id, reviews=reviews),
        )
    if regenerate_col.button(f"Regenerate Rejected ({len(rejected)})", disabled=not rejected):
        act(
            f"Regenerating frame {', '.join(str(n + 1) for n in rejected)}…",
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
        ctx.go(VIEW_VIDEO)


def render_video_settings(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    """Step 3: model, fps and duration, the final prompt for review, the cost, then "Generate Video"."""
    model, unusable = model_picker(
        ctx.runtime.models,
        ModelRole.VIDEO,
        label="Video model",
        current=workflow.model_selections.video,
        key=f"video-model-{workflow.id}",
    )
    if unusable is not None:
        if workflow.current_step is WorkflowStep.FRAME_REVIEW and st.button("Back to Frames"):
            ctx.go(None)
        return
    options = ctx.runtime.service.video_options(model)
    longest = options.longest_seconds
    fps_col, duration_col = st.columns(2)
    fps = fps_col.select_slider(
        "Frames per second", options=list(options.frame_rates), value=options.default_fps, key=f"fps-{workflow.id}-{model}"
    )
    duration = duration_col.number_input(
        "Duration (seconds)",
        min_value=1,
        max_value=longest,
        value=min(workflow.metadata.duration, longest),
        key=f"duration-{workflow.id}-{model}",
        help=f"{model} can make up to {longest} s.",
    )
    st.text_area("Final prompt", value=workflow.final_refined_prompt or "", disabled=True, height=160)
    try:
        estimate = ctx.runtime.service.estimate_cost(
            user_id=ctx.user_id,
            workflow_id=workflow.id,
            step=WorkflowStep.VIDEO_GENERATION,
            model=model,
            duration=int(duration),
            fps=int(fps),
        )
        offline = " (offline render)" if estimate.provider == "offline" else ""
        st.metric("Cost estimate", f"${estimate.amount_usd:.2f}{offline}", help=f"{estimate.provider}: {estimate.basis}")
        refused = None
    except StudioError as exc:  # the model cannot make this video: say why before anything is sent
        refused = exc.message
        st.warning(refused)
    quota = ctx.runtime.service.remaining_quota(user_id=ctx.user_id)  # the same counter the API uses
    if not quota.exempt:
        st.caption(quota_text(quota))
    generate_col, back_col = st.columns(2)
    if generate_col.button("Generate Video", type="primary", disabled=refused is not None or quota.remaining == 0):
        act(
            f"Rendering the video with {model}…",
            lambda: ctx.runtime.service.generate_video(
                user_id=ctx.user_id, workflow_id=workflow.id, model=model, duration=int(duration), fps=int(fps)
            ),
            then=lambda _: ctx.go(),
        )
    if workflow.current_step is WorkflowStep.FRAME_REVIEW and back_col.button("Back to Frames"):
        ctx.go(None)


def render_completed(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    """Step 4: the video, its download, and what made it."""
    video = workflow.video_output
    if video is None:
        st.error("This workflow is complete but has no video. Open it from My Workflows and contact support.")
        return
    data = ctx.runtime.service.read_media(user_id=ctx.user_id, key=video.video_key)
    st.video(data, format="video/mp4")
    # Providers report no charge we can read: every cost is our estimate from the configured prices.
    cost = f"Cost (estimate): ${video.cost_usd:.2f} (workflow ${workflow.total_cost_usd:.2f})"
    badge_row(
        [
            (f"Model: {model_ran(video.model, video.requested_model, ctx.runtime.models)} ({video.provider})", "gray"),
            (f"{video.duration} s", "blue"),
            (f"{video.fps} fps", "blue"),
            (cost, "green"),
        ]
    )
    download_col, close_col = st.columns(2)
    download_col.download_button(
        "Download MP4", data=data, file_name=f"{_slug(workflow.title)}.mp4", mime="video/mp4", on_click="ignore"
    )
    if close_col.button("Close Wizard", key="close-wizard"):
        ctx.on_close()


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "video"
