"""The wizard's frame around every step: stepper, progress bar, status badge, guards; then the step itself.

The same `render_step` serves the five step pages and Creatives' dialog; only `WizardContext` differs.
Everything shown is read from the database on every run; the session and the URL hold only the workflow id.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from services.core.errors import StudioError
from services.workflows.domain import VideoWorkflow, WorkflowStatus
from ui import wizard_brief, wizard_frames, wizard_progress, wizard_video
from ui.session import cached_runtime, current_user_id
from ui.widgets import example_label, show_error, status_badge
from ui.wizard_context import WizardContext, current_workflow_id, forget_workflow, take_flash
from ui.wizard_view import WIZARD_STEPS, WizardStep, home_step, prerequisite, reached

Renderer = Callable[[WizardContext, VideoWorkflow], None]
RENDERERS: dict[WizardStep, Renderer] = {
    WizardStep.REFINE: wizard_brief.render_refine,
    WizardStep.FRAMES: wizard_frames.render_frames,
    WizardStep.VIDEO: wizard_video.render_video,
    WizardStep.RESULT: wizard_video.render_result,
}


def render_step_page(step: WizardStep) -> None:
    """One wizard step as its own page, on the workflow the session (mirrored in the URL) names."""
    ctx = WizardContext(runtime=cached_runtime(), user_id=current_user_id(), workflow_id=current_workflow_id())
    render_step(ctx, step)


def load_workflow(ctx: WizardContext) -> VideoWorkflow | None:
    """The context's workflow, or None (no workflow yet); a refusal is shown and stops the run."""
    if not ctx.workflow_id:
        return None
    try:
        return ctx.runtime.service.get_workflow(user_id=ctx.user_id, workflow_id=ctx.workflow_id)
    except StudioError as exc:
        show_error(exc)
        if st.button("Start a new video", key="wizard-start-over"):
            forget_workflow()
            st.rerun()
        st.stop()


def render_step(ctx: WizardContext, step: WizardStep | None = None) -> None:
    """The header, then this step of the workflow (its home step when None), or what must happen first."""
    workflow = load_workflow(ctx)
    step = step or home_step(workflow)
    _header(ctx, workflow, step)
    message = take_flash()
    if message is not None:
        getattr(st, message[0])(message[1])
    needed = prerequisite(workflow, step)
    if needed is not None:
        st.info(needed.message, icon=":material/lock:")
        ctx.link(needed.step, label=f"Go to {needed.step.number} {needed.step.label}", key="-needed")
        return
    if workflow is None:
        wizard_brief.render_brief(ctx, None)
        return
    if workflow.status is WorkflowStatus.PROCESSING:
        wizard_progress.watch(ctx, workflow.id)
        return
    wizard_progress.failure_panel(ctx, workflow, step)
    if step is WizardStep.BRIEF:
        wizard_brief.render_brief(ctx, workflow)
    else:
        RENDERERS[step](ctx, workflow)


def _header(ctx: WizardContext, workflow: VideoWorkflow | None, step: WizardStep) -> None:
    """Stepper (unreached steps disabled), progress bar, title and status badge."""
    with st.container(horizontal=True, gap="small", key=f"wizard-stepper-{'dialog' if ctx.in_dialog else 'page'}"):
        for each in WIZARD_STEPS:
            label = f"**{each.number} {each.label}**" if each is step else f"{each.number} {each.label}"
            ctx.link(each, label=label, disabled=not reached(workflow, each))
    st.progress((step.number - 1) / (len(WIZARD_STEPS) - 1), text=f"Step {step.number} of {len(WIZARD_STEPS)}: {step.label}")
    if workflow is None:
        return
    title, badge = st.columns([4, 1], vertical_alignment="center")
    title.subheader(f"{workflow.title}{example_label(workflow)}")
    with badge:
        status_badge(workflow.status)
