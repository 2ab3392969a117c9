"""Wizard steps 1 and 2: the brief (a form, or the stored brief) and the prompt refinement rounds."""

from __future__ import annotations

import streamlit as st

from services.core.settings import ASPECT_RATIOS
from services.providers.registry import ModelRegistry, ModelRole
from services.studio.service import NewWorkflow
from services.workflows.domain import RefinementIteration, VideoWorkflow
from ui.model_picker import model_picker
from ui.widgets import act, badge_row, model_ran
from ui.wizard_context import CAMPAIGN_PARAM, WizardContext
from ui.wizard_view import WizardStep, can_continue_to_frames, can_refine, home_step


def render_brief(ctx: WizardContext, workflow: VideoWorkflow | None) -> None:
    """Step 1: the brief form, or the workflow's stored brief with a way on and a way to start over."""
    if workflow is None:
        _brief_form(ctx)
        return
    meta = workflow.metadata
    with st.container(border=True):
        st.markdown(f"**Prompt:** {workflow.initial_prompt}")
        st.caption(
            f"Audience: {meta.target_audience or '—'} · Tone: {meta.tone or '—'} · Style: {meta.style or '—'} · "
            f"{meta.duration} s · {meta.aspect_ratio}"
        )
    on_col, new_col = st.columns(2)
    with on_col:
        here = home_step(workflow)
        ctx.link(here, label=f"Continue at {here.number} {here.label}", key="-continue")
    if new_col.button("Start a new video", icon=":material/add:", key="wizard-new-video"):
        ctx.start_over()


def _brief_form(ctx: WizardContext) -> None:
    s = ctx.runtime.settings
    campaigns = ctx.runtime.campaigns.list(user_id=ctx.user_id) if ctx.runtime.campaigns else []
    names = {c.id: c.name for c in campaigns}
    preset = st.query_params.get(CAMPAIGN_PARAM)
    options = [None, *names]
    with st.form("brief"):
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
    act(
        "Creating the workflow…",
        lambda: ctx.runtime.service.create_workflow(user_id=ctx.user_id, brief=brief),
        then=lambda created: ctx.opened(created.id, WizardStep.REFINE),
    )


def render_refine(ctx: WizardContext, workflow: VideoWorkflow) -> None:
    """Step 2: refinement rounds with notes and a model each, rounds left in sight, the cap explained."""
    iterations = workflow.refinement_iterations
    cap = workflow.limits.max_refinement_iterations
    remaining = workflow.refinement_iterations_remaining
    st.markdown(f"**{remaining} of {cap} rounds left**")
    if iterations:
        _latest_round(workflow, iterations[-1], ctx.runtime.models)
        _iteration_history(workflow, ctx.runtime.models)
    else:
        st.info("Refine your brief into a production-ready prompt. Add notes to steer each round.")
    if not can_refine(workflow):
        st.caption("Refinement is closed: this workflow has moved on to its frames.")
        return
    if remaining == 0:
        _cap_notice(ctx, workflow, cap)
        return
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
    refine_col, fresh_col, continue_col = st.columns(3)
    if refine_col.button("Refine Prompt", type="primary", disabled=unusable is not None, help=unusable):
        _refine(ctx, workflow, notes, model, fresh=False)
    if (
        iterations
        and iterations[-1].cached
        and fresh_col.button(
            "Refine again (fresh)",
            disabled=unusable is not None,
            help=unusable or "Ask the model again instead of using the cached answer; this uses one round.",
        )
    ):
        _refine(ctx, workflow, notes or iterations[-1].additional_info or "", model, fresh=True)
    if continue_col.button("Continue to Frames", disabled=not can_continue_to_frames(workflow)):
        ctx.go(WizardStep.FRAMES)


def _refine(ctx: WizardContext, workflow: VideoWorkflow, notes: str, model: str, *, fresh: bool) -> None:
    act(
        f"Refining with {model}…",
        lambda: ctx.runtime.service.refine_prompt(
            user_id=ctx.user_id, workflow_id=workflow.id, additional_info=notes or None, model=model, fresh=fresh
        ),
    )


def _latest_round(workflow: VideoWorkflow, latest: RefinementIteration, models: ModelRegistry) -> None:
    with st.container(border=True):
        st.markdown("**Refined prompt**")
        st.markdown((workflow.final_refined_prompt or "").replace("\n", "  \n"))  # keep the prompt's lines
        ran = model_ran(latest.model, latest.requested_model, models)
        badges = [(f"Model: {ran} ({latest.provider})", "gray"), (f"Iteration {latest.iteration}", "blue")]
        if latest.cached:
            badges.append(("cached", "orange"))
        badge_row(badges)
        if latest.cached:
            first = latest.cached_at or latest.created_at
            st.caption(
                f"Served from the prompt cache: this exact request was first refined on {first:%Y-%m-%d %H:%M} UTC. "
                "No provider was called and nothing was charged."
            )


def _cap_notice(ctx: WizardContext, workflow: VideoWorkflow, cap: int) -> None:
    """At the cap: say so, and offer the two ways on."""
    st.warning(
        f"You have used all {cap} refinement rounds of this workflow. Continue to Frames with the latest prompt, "
        "or start a new workflow from this prompt to keep refining.",
        icon=":material/block:",
    )
    continue_col, new_col = st.columns(2)
    if continue_col.button("Continue to Frames", type="primary", disabled=not can_continue_to_frames(workflow)):
        ctx.go(WizardStep.FRAMES)
    if new_col.button("New workflow from this prompt", icon=":material/fork_right:"):
        act(
            "Starting a new workflow…",
            lambda: ctx.runtime.service.start_from_prompt(user_id=ctx.user_id, workflow_id=workflow.id),
            then=lambda created: ctx.opened(created.id, WizardStep.REFINE),
        )


def _iteration_history(workflow: VideoWorkflow, models: ModelRegistry) -> None:
    iterations = workflow.refinement_iterations
    with st.expander(f"All iterations ({len(iterations)})"):
        for it in reversed(iterations):
            notes = f" · notes: “{it.additional_info}”" if it.additional_info else ""
            cached = " · cached" if it.cached else ""
            ran = model_ran(it.model, it.requested_model, models)
            st.caption(f"Iteration {it.iteration} · {ran} ({it.provider}){cached}{notes}")
            st.text(it.refined_prompt)
        if len(iterations) >= 2:
            st.markdown("**Compare two iterations**")
            numbers = [it.iteration for it in iterations]
            left, right = st.columns(2)
            first = left.selectbox("Iteration", numbers, index=len(numbers) - 2, key=f"cmp-a-{workflow.id}")
            second = right.selectbox("with iteration", numbers, index=len(numbers) - 1, key=f"cmp-b-{workflow.id}")
            left.text(iterations[first - 1].refined_prompt)
            right.text(iterations[second - 1].refined_prompt)
