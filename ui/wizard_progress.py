"""A running generation (live progress, Cancel) and a stopped one (the error, Retry, Back to Frames)."""

from __future__ import annotations

import streamlit as st

from services.core.errors import NotFoundError, StudioError
from services.workflows.domain import VideoWorkflow, WorkflowStatus, WorkflowStep
from ui.widgets import act, show_error
from ui.wizard_context import WizardContext, flash
from ui.wizard_view import (
    REFINE_PAGE_STEPS,
    WizardStep,
    home_step,
    kept_after_cancel,
    latest_failure,
    rejected_frame_numbers,
)

PROGRESS_POLL_SECONDS = 2.0
STEP_WORDS = {
    WorkflowStep.PROMPT_REFINEMENT: "refining the prompt",
    WorkflowStep.FRAME_GENERATION: "drawing the frames",
    WorkflowStep.FRAME_REVIEW: "regenerating the rejected frames",
    WorkflowStep.VIDEO_GENERATION: "rendering the video",
}


def progress_text(job: dict | None) -> tuple[float, str]:
    """The bar's fill and its line: percent, the job's message and the ETA."""
    if job is None:
        return 0.0, "Starting…"
    percent = int(job.get("percent") or 0)
    if job["status"] == "QUEUED":
        return 0.0, "Queued: a worker will pick this up in a moment"
    eta = job.get("etaSeconds")
    left = f" · about {eta} s left" if eta is not None else ""
    message = job.get("message") or ""
    if message in ("", "Queued"):  # a worker took the job; its provider has not reported yet
        message = "Started; waiting for the first progress report"
    return percent / 100, f"{percent}% · {message}{left}"


def watch(ctx: WizardContext, workflow_id: str) -> None:
    """Live progress of the running generation, refreshed every 2 s without a full-page rerun."""
    _live_progress(ctx, workflow_id)


@st.fragment(run_every=PROGRESS_POLL_SECONDS)
def _live_progress(ctx: WizardContext, workflow_id: str) -> None:
    try:
        progress = ctx.runtime.service.progress(user_id=ctx.user_id, workflow_id=workflow_id)
    except StudioError as exc:
        show_error(exc)
        return
    if progress["currentStep"] == WorkflowStep.COMPLETED.value:
        ctx.go(WizardStep.RESULT)  # the video is ready: show it
    if progress["status"] != WorkflowStatus.PROCESSING.value:
        st.rerun(scope="app")  # finished, failed or canceled: show the step as it now is
    doing = STEP_WORDS.get(WorkflowStep(progress["currentStep"]), "working")
    st.info(f"Now {doing}. This page updates by itself every {PROGRESS_POLL_SECONDS:.0f} s.", icon="⏳")
    fill, text = progress_text(progress["job"])
    st.progress(fill, text=text)
    if progress["job"] is not None and st.button("Cancel", key="wizard-cancel", icon=":material/cancel:"):
        _cancel(ctx, workflow_id, progress["job"]["kind"])


def _cancel(ctx: WizardContext, workflow_id: str, job_kind: str) -> None:
    try:
        workflow = ctx.runtime.service.cancel_generation(user_id=ctx.user_id, workflow_id=workflow_id)
    except StudioError as exc:
        show_error(exc)
        return
    flash("warning", f"Canceled. {kept_after_cancel(workflow, job_kind)}")
    st.rerun(scope="app")


def failure_panel(ctx: WizardContext, workflow: VideoWorkflow, step: WizardStep) -> None:
    """On the step that stopped: what happened, Retry, and (after a failed video) Back to Frames."""
    failure = latest_failure(workflow)
    if failure is None or step is not home_step(workflow):
        return
    st.error(f"This step did not finish: {failure}", icon="⚠️")
    retry_col, back_col = st.columns(2)
    retry = _retry_action(ctx, workflow)
    out_of_videos = workflow.current_step is WorkflowStep.VIDEO_GENERATION and _no_videos_left(ctx)
    if retry is not None and retry_col.button(
        "Retry",
        type="primary",
        key="wizard-retry",
        icon=":material/refresh:",
        disabled=out_of_videos,
        help="No videos left right now: the quota under the video settings says when the next one frees up."
        if out_of_videos
        else None,
    ):
        act("Retrying…", retry)
    if workflow.current_step is WorkflowStep.VIDEO_GENERATION and back_col.button(
        "Back to Frames", key="wizard-back-to-frames", icon=":material/arrow_back:"
    ):
        act(
            "Reopening the frames…",
            lambda: ctx.runtime.service.reopen_frames(user_id=ctx.user_id, workflow_id=workflow.id),
            then=lambda _: ctx.go(WizardStep.FRAMES),
        )


def _no_videos_left(ctx: WizardContext) -> bool:
    quota = ctx.runtime.service.remaining_quota(user_id=ctx.user_id)
    return not quota.exempt and quota.remaining == 0


def _retry_action(ctx: WizardContext, workflow: VideoWorkflow):  # type: ignore[no-untyped-def]
    """The service call that runs the stopped step again with the same choices, if there is one."""
    service, uid, wid = ctx.runtime.service, ctx.user_id, workflow.id
    step = workflow.current_step
    if step in REFINE_PAGE_STEPS:
        return lambda: service.refine_prompt(user_id=uid, workflow_id=wid, model=workflow.model_selections.refinement)
    if step is WorkflowStep.FRAME_GENERATION:
        count = workflow.planned_frame_count or None
        return lambda: service.generate_frames(
            user_id=uid, workflow_id=wid, frame_count=count, model=workflow.model_selections.frames
        )
    if step is WorkflowStep.FRAME_REVIEW:
        rejected = rejected_frame_numbers(workflow)
        return (
            (lambda: service.regenerate_frames(user_id=uid, workflow_id=wid, frame_numbers=rejected)) if rejected else None
        )
    if step is WorkflowStep.VIDEO_GENERATION:
        params = _last_video_params(ctx, workflow)
        return lambda: service.generate_video(user_id=uid, workflow_id=wid, **params)
    return None


def _last_video_params(ctx: WizardContext, workflow: VideoWorkflow) -> dict:
    """The model, duration and fps the stopped render asked for."""
    try:
        job = ctx.runtime.service.latest_job(user_id=ctx.user_id, workflow_id=workflow.id)
    except NotFoundError:
        return {"model": workflow.model_selections.video}
    return {name: job.params[name] for name in ("model", "duration", "fps") if name in job.params}
