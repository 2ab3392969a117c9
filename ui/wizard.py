"""The five-step video wizard (brief → refinement → frames → video settings → completed).

The workflow id and the step the user moved on to live in `st.query_params`, so a reload lands on the same step;
everything else is read from the database on every run.
"""

from __future__ import annotations

import streamlit as st

from services.bootstrap import Runtime
from services.core.errors import StudioError
from services.core.settings import ASPECT_RATIOS
from services.providers.registry import ModelRegistry, ModelRole
from services.workflows.domain import VideoWorkflow, WorkflowStatus
from services.workflows.service import NewWorkflow
from ui import wizard_frames
from ui.model_picker import model_picker
from ui.widgets import (
    act,
    badge_row,
    example_label,
    latest_failure,
    model_ran,
    show_error,
    status_badge,
    step_progress,
)
from ui.wizard_context import (
    CAMPAIGN_PARAM,
    VIEW_PARAM,
    WORKFLOW_PARAM,
    WizardContext,
)
from ui.wizard_view import VIEW_FRAMES, WizardView, can_continue_to_frames, wizard_view

PROGRESS_POLL_SECONDS = 2.0


def render_wizard(ctx: WizardContext) -> None:
    """The wizard for the workflow named in the URL, or the brief form when there is none."""
    workflow_id = st.query_params.get(WORKFLOW_PARAM)
    workflow = None
    if workflow_id:
        try:
            workflow = ctx.runtime.service.get_workflow(user_id=ctx.user_id, workflow_id=workflow_id)
        except StudioError as exc:
            show_error(exc)
            return
    view = wizard_view(workflow, st.query_params.get(VIEW_PARAM))
    step_progress(view)
    if workflow is None:
        _brief(ctx)
        return
    _header(workflow)
    if workflow.status is WorkflowStatus.PROCESSING:
        _watch_processing(ctx.runtime, ctx.user_id, workflow.id, workflow.version)
        return
    failure = latest_failure(workflow)
    if failure:
        st.error(f"This step failed: {failure} Retry it below, or pick another model.", icon="⚠️")
    renderers = {
        WizardView.REFINEMENT: _refinement,
        WizardView.FRAMES: wizard_frames.render_frames,
        WizardView.VIDEO: wizard_frames.render_video_settings,
        WizardView.COMPLETED: wizard_frames.render_completed,
    }
    renderers[view](ctx, workflow)


def _header(workflow: VideoWorkflow) -> None:
    title, badge = st.columns([4, 1], vertical_alignment="center")
    title.subheader(f"{workflow.title}{example_label(workflow)}")
    with badge:
        status_badge(workflow.status)


@st.fragment(run_every=PROGRESS_POLL_SECONDS)
def _watch_processing(runtime: Runtime, user_id: str, workflow_id: str, version: int) -> None:
    """Live progress of a generation started elsewhere (another tab, the API), read from the database."""
    progress = runtime.service.progress(user_id=user_id, workflow_id=workflow_id)
    if progress["status"] != WorkflowStatus.PROCESSING.value:
        st.rerun()  # finished or failed: show the next step
    step = progress["currentStep"].replace("_", " ").lower()
    st.info(f"Working on {step}… this page updates by itself.", icon="⏳")
    job = progress["job"]
    if job is not None and job["status"] == "RUNNING":
        eta = f" · about {job['etaSeconds']} s left" if job["etaSeconds"] is not None else ""
        st.progress(job["percent"] / 100, text=f"{job['message']}{eta}")
    elif job is not None:
        st.progress(0.0, text="Queued: a worker will pick this up in a moment")


def _brief(ctx: WizardContext) -> None:
    s = ctx.runtime.settings
    campaigns = ctx.runtime.campaigns.list(user_id=ctx.user_id) if ctx.runtime.campaigns else []
    names = {c.id: c.name for c in campaigns}
    preset = st.query_params.get(CAMPAIGN_PARAM)
    options = [None, *names]
    with st.form("brief"):
        st.markdown("#### Brief")
        title = st.text_input("Title", max_chars=s.MAX_TITLE_LENGTH)
        prompt = st.text_area("Prompt", max_chars=s.MAX_PROMPT_LENGTH, help="Your video idea, in a few sentences.")
        audience, tone = st.columns(2)
        target_audience = audience.text_input("Target audience")
        tone_value = tone.text_input("Tone", placeholder="energetic, calm, playful…")
        duration_col, ratio_col, style_col = st.columns(3)
        duration = duration_col.number_input(
            "Duration (seconds)", min_value=1, max_value=s.MAX_VIDEO_DURATION, value=min(15, s.MAX_VIDEO_DURATION)
        )
        aspect_ratio = ratio_col.selectbox("Aspect ratio", ASPECT_RATIOS)
        style = style_col.text_input("Visual style", placeholder="cinematic, flat illustration…")
        campaign_col, sound_col = st.columns([3, 1], vertical_alignment="bottom")
        campaign_id = campaign_col.selectbox(
            "Campaign",
            options,
            index=options.index(preset) if preset in options else 0,
            format_func=lambda cid: "No campaign" if cid is None else names[cid],
        )
        sound = sound_col.toggle(
            "Sound", value=True, help="On: video models that make a soundtrack make one (billed at their sound price)."
        )
        submitted = st.form_submit_button("Start Creating", type="primary")
    if not submitted:
        return
    brief = NewWorkflow(
        title=title,
        initial_prompt=prompt,
        target_audience=target_audience,
        tone=tone_value,
        duration=int(duration),
        style=style,
        aspect_ratio=aspect_ratio,
        sound=bool(sound),
        campaign_id=campaign_id,
    )

    def open_created(created: VideoWorkflow) -> None:
        st.query_params[WORKFLOW_PARAM] = created.id
        ctx.go(None)

    act(
        "Creating the workflow…",
        lambda: ctx.runtime.service.create_workflow(user_id=ctx.user_id, brief=brief),
        then=open_created,
    )


def _refinement(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    iterations = workflow.refinement_iterations
    if iterations:
        latest = iterations[-1]
        with st.container(border=True):
            st.markdown("**Refined prompt**")
            st.markdown((workflow.final_refined_prompt or "").replace("\n", "  \n"))  # keep the prompt's lines
            badge_row(
                [
                    (
                        f"Model: {model_ran(latest.model, latest.requested_model, ctx.runtime.models)} ({latest.provider})",
                        "gray",
                    ),
                    (f"Iteration {latest.iteration}", "blue"),
                    (f"{workflow.refinement_iterations_remaining} iterations remaining", "violet"),
                ]
            )
        _iteration_history(workflow, ctx.runtime.models)
    else:
        st.info("Refine your brief into a production-ready prompt. Add notes to steer each round.")
    notes = st.text_area(
        "Additional info",
        key=f"notes-{workflow.id}-{len(iterations)}",
        help="What to add or change in the next round (optional).",
    )
    model, unusable = model_picker(
        ctx.runtime.models,
        ModelRole.REFINEMENT,
        label="Refinement model",
        current=workflow.model_selections.refinement,
        key=f"refine-model-{workflow.id}",
    )
    refine_col, continue_col = st.columns(2)
    no_rounds = workflow.refinement_iterations_remaining == 0
    if refine_col.button(
        "Refine Prompt",
        type="primary",
        disabled=no_rounds or unusable is not None,
        help="No refinement rounds left." if no_rounds else unusable,
    ):
        act(
            f"Refining with {model}…",
            lambda: ctx.runtime.service.refine_prompt(
                user_id=ctx.user_id, workflow_id=workflow.id, additional_info=notes or None, model=model
            ),
        )
    if continue_col.button("Continue to Frames", disabled=not can_continue_to_frames(workflow)):
        ctx.go(VIEW_FRAMES)


def _iteration_history(workflow: VideoWorkflow, models: ModelRegistry) -> None:
    iterations = workflow.refinement_iterations
    with st.expander(f"All iterations ({len(iterations)})"):
        for it in reversed(iterations):
            notes = f" · notes: “{it.additional_info}”" if it.additional_info else ""
            st.caption(
                f"Iteration {it.iteration} · {model_ran(it.model, it.requested_model, models)} ({it.provider}){notes}"
            )
            st.text(it.refined_prompt)
        if len(iterations) >= 2:
            st.markdown("**Compare two iterations**")
            numbers = [it.iteration for it in iterations]
            left, right = st.columns(2)
            first = left.selectbox("Iteration", numbers, index=len(numbers) - 2, key=f"cmp-a-{workflow.id}")
            second = right.selectbox("with iteration", numbers, index=len(numbers) - 1, key=f"cmp-b-{workflow.id}")
            left.text(iterations[first - 1].refined_prompt)
            right.text(iterations[second - 1].refined_prompt)
