"""Wizard steps 4 and 5: video settings (model, fps, duration, cost, quota) and the finished video."""

from __future__ import annotations

from functools import partial

import streamlit as st

from services.core.errors import StudioError
from services.providers.registry import ModelRole
from services.review.domain import ReviewComment
from services.workflows.domain import VideoWorkflow, WorkflowStep
from ui.media import media_url
from ui.model_picker import model_picker
from ui.review_comments import render_all_comments
from ui.review_links import render_share_panel
from ui.widgets import act, badge_row, model_ran
from ui.wizard_context import WizardContext
from ui.wizard_frames import open_feedback_box
from ui.wizard_view import WizardStep, quota_text


def render_video(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    """Step 4: model, fps and duration, the final prompt, the cost, then Generate Video."""
    if workflow.current_step is WorkflowStep.COMPLETED:
        video = workflow.video_output
        assert video is not None
        st.success(f"The video was rendered with {video.model}: {video.duration} s at {video.fps} fps.")
        ctx.link(WizardStep.RESULT, label="See the result", key="-result")
        return
    model, unusable = model_picker(
        ctx.runtime.models,
        ModelRole.VIDEO,
        label="Video model",
        current=workflow.model_selections.video,
        key=f"video-model-{workflow.id}",
    )
    if unusable is not None:
        if workflow.current_step is WorkflowStep.FRAME_REVIEW:
            ctx.link(WizardStep.FRAMES, label="Back to Frames", key="-back-unusable")
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
    refused = _cost(ctx, workflow, model, int(duration), int(fps))
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
            then=lambda rendering: ctx.go(WizardStep.RESULT) if rendering.video_output else st.rerun(),
        )
    with back_col:
        if workflow.current_step is WorkflowStep.FRAME_REVIEW:
            ctx.link(WizardStep.FRAMES, label="Back to Frames", key="-back")


def _cost(ctx: WizardContext, workflow: VideoWorkflow, model: str, duration: int, fps: int) -> str | None:
    """The cost estimate; or why the model cannot make this video (said before anything is sent)."""
    try:
        estimate = ctx.runtime.service.estimate_cost(
            user_id=ctx.user_id,
            workflow_id=workflow.id,
            step=WorkflowStep.VIDEO_GENERATION,
            model=model,
            duration=duration,
            fps=fps,
        )
    except StudioError as exc:
        st.warning(exc.message)
        return exc.message
    offline = " (offline render)" if estimate.provider == "offline" else ""
    st.metric("Cost estimate", f"${estimate.amount_usd:.2f}{offline}", help=f"{estimate.provider}: {estimate.basis}")
    return None


def render_result(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    """Step 5: the video, its download, and what made it."""
    video = workflow.video_output
    if video is None:
        st.error("This workflow is complete but has no video. Open it from My Workflows and contact support.")
        return
    st.video(media_url(ctx.runtime, video.video_key), format="video/mp4", alt=f"{workflow.title}: the finished video")
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
    render_share_panel(ctx.runtime, ctx.user_id, workflow)
    # Using a stakeholder's frame comment reopens the storyboard; the Frames step is where it is acted on.
    render_all_comments(ctx.runtime, ctx.user_id, workflow, on_used=partial(_act_on_frame, ctx, workflow))
    download_col, new_col, close_col = st.columns(3)
    # The same signed URL as the player, as an attachment: the file streams from the media route, not the websocket.
    download_col.link_button(
        "Download MP4", media_url(ctx.runtime, video.video_key, download=True), icon=":material/download:"
    )
    if new_col.button("Start a new video", icon=":material/add:", key="wizard-result-new"):
        ctx.start_over()
    if ctx.on_close is not None and close_col.button("Close Wizard", key="close-wizard"):
        ctx.on_close()


def _act_on_frame(ctx: WizardContext, workflow: VideoWorkflow, comment: ReviewComment) -> None:
    """A stakeholder's comment became that frame's feedback: go to Frames with its feedback box open."""
    if comment.frame_number is not None:
        open_feedback_box(workflow, comment.frame_number)
    ctx.go(WizardStep.FRAMES)
