"""Prompt Lab screens: run a brief on several models, compare the results, rate, adopt; and the history."""

from __future__ import annotations

import streamlit as st

from services.bootstrap import Runtime
from services.core.errors import StudioError
from services.lab.diff import diff_counts, diff_html, word_diff
from services.lab.domain import LabResult, LabRun
from services.lab.service import PromptLab
from services.providers.registry import ModelRole
from services.workflows.domain import VideoWorkflow
from ui.widgets import act, badge_row, show_error
from ui.wizard_context import WORKFLOW_PARAM

RUN_KEY = "lab_run_id"  # the run on screen
NEW_BRIEF, FROM_WORKFLOW = "New brief", "A workflow's current prompt"


def lab_of(runtime: Runtime) -> PromptLab:
    """The runtime's Prompt Lab."""
    return runtime.lab


def user_workflows(runtime: Runtime, user_id: str) -> list[VideoWorkflow]:
    """The user's 100 most recently active workflows, for pickers."""
    return runtime.service.list_workflows(user_id=user_id, page_size=100).items


def render_run_form(runtime: Runtime, user_id: str) -> None:
    """Pick a brief and 2–4 models, see the estimate, run."""
    lab = lab_of(runtime)
    source = st.segmented_control("Brief", [NEW_BRIEF, FROM_WORKFLOW], default=NEW_BRIEF, key="lab-source")
    brief = title = workflow_id = None
    if source == FROM_WORKFLOW:
        workflows = user_workflows(runtime, user_id)
        if not workflows:
            st.info("You have no workflows yet. Write a new brief instead.")
            return
        names = {w.id: w.title for w in workflows}
        workflow_id = st.selectbox("Workflow", list(names), format_func=names.__getitem__, key="lab-workflow")
        chosen = next(w for w in workflows if w.id == workflow_id)
        st.caption("Current prompt: " + (chosen.final_refined_prompt or chosen.initial_prompt)[:400])
    else:
        title = st.text_input("Title", key="lab-title", placeholder="Optional")
        brief = st.text_area("Brief", key="lab-brief", placeholder="Your video idea, in a few sentences.")
    models_all = runtime.models.model_ids(ModelRole.REFINEMENT)
    models = st.multiselect("Models (2 to 4)", models_all, default=models_all[:3], max_selections=4, key="lab-models")
    notes = st.text_area("Additional info", key="lab-notes", help="Optional notes every model gets.")
    ready = len(models) >= 2 and (workflow_id is not None or bool((brief or "").strip()))
    if ready:
        try:
            estimates = lab.estimate(
                user_id=user_id, models=models, brief=brief, workflow_id=workflow_id, additional_info=notes or None
            )
        except StudioError as exc:
            show_error(exc)
            return
        total = sum(e.amount_usd for e in estimates)
        st.metric(
            "Cost estimate", f"${total:.4f}", help="; ".join(f"{e.model} ({e.provider}): {e.basis}" for e in estimates)
        )
        st.caption(" · ".join(f"{e.model}: ${e.amount_usd:.4f} ({e.provider})" for e in estimates))
    if st.button("Run the lab", type="primary", disabled=not ready, key="lab-run"):
        act(
            f"Refining with {len(models)} models in parallel…",
            lambda: lab.run(
                user_id=user_id,
                models=models,
                brief=brief,
                title=title,
                workflow_id=workflow_id,
                additional_info=notes or None,
            ),
            then=_show_run,
        )


def _show_run(run: LabRun) -> None:
    st.session_state[RUN_KEY] = run.id
    st.rerun()


def render_run(runtime: Runtime, user_id: str, run: LabRun) -> None:
    """The results side by side, the diff between any two, and rating and adoption per result."""
    st.markdown(f"#### {run.title}")
    st.caption(
        f"{len(run.results)} models in {run.elapsed_ms / 1000:.1f} s · estimate ${run.estimate_usd:.4f} · "
        f"cost ≈ ${run.total_cost_usd:.4f} (estimated from configured prices)"
    )
    columns = st.columns(len(run.results))
    for column, result in zip(columns, run.results, strict=True):
        with column, st.container(border=True):
            _result_card(runtime, user_id, run, result)
    _compare(run)


def _result_card(runtime: Runtime, user_id: str, run: LabRun, result: LabResult) -> None:
    lab = lab_of(runtime)
    st.markdown(f"**{'★ ' if result.starred else ''}{result.model}**")
    label = "offline" if result.offline else result.provider
    tokens = sum(result.usage.values()) if result.usage else 0
    badge_row(
        [
            (label, "orange" if result.offline else "gray"),
            (f"{result.latency_ms} ms", "blue"),
            (f"{tokens} tokens", "violet"),
            (f"≈ ${result.cost_usd:.4f} (estimate)", "green"),
        ]
    )
    if result.error:
        st.error(result.error)
        return
    st.text(result.refined_prompt)
    key = f"{run.id}-{result.model}"
    star_label = "Unstar" if result.starred else "Star"
    if st.button(star_label, key=f"star-{key}", icon=":material/star:"):
        act("Saving…", lambda: lab.rate(user_id=user_id, run_id=run.id, model=result.model, starred=not result.starred))
    note = st.text_input("Note", value=result.note, key=f"note-{key}")
    if note != result.note and st.button("Save note", key=f"save-note-{key}"):
        act("Saving…", lambda: lab.rate(user_id=user_id, run_id=run.id, model=result.model, note=note))
    if result.adopted_into:
        st.caption(f"Used in {len(result.adopted_into)} workflow(s)")
    workflows = user_workflows(runtime, user_id)
    names = {w.id: w.title for w in workflows}
    target = None
    if names:
        start = list(names).index(run.workflow_id) if run.workflow_id in names else 0
        target = st.selectbox("Workflow", list(names), index=start, format_func=names.__getitem__, key=f"target-{key}")
    if st.button("Use this one", key=f"adopt-{key}", type="primary", disabled=target is None):
        act(
            "Adding it to the workflow…",
            lambda: lab.adopt(user_id=user_id, run_id=run.id, model=result.model, workflow_id=str(target)),
            then=_added,
        )
    if st.button("Start a new workflow", key=f"start-{key}"):
        act(
            "Creating the workflow…",
            lambda: lab.start_workflow(user_id=user_id, run_id=run.id, model=result.model),
            then=_open_in_wizard,
        )


def _added(workflow: VideoWorkflow) -> None:
    st.success(f"Added as iteration {len(workflow.refinement_iterations)} of “{workflow.title}”.")


def _open_in_wizard(workflow: VideoWorkflow) -> None:
    st.query_params.clear()
    st.query_params[WORKFLOW_PARAM] = workflow.id
    st.switch_page("app_pages/wizard.py")


def _compare(run: LabRun) -> None:
    usable = [r for r in run.results if not r.error]
    if len(usable) < 2:
        return
    st.markdown("**Compare two results** (word by word: green is added, red is removed)")
    models = [r.model for r in usable]
    left, right = st.columns(2)
    first = left.selectbox("From", models, index=0, key=f"diff-a-{run.id}")
    second = right.selectbox("To", models, index=1, key=f"diff-b-{run.id}")
    before, after = run.result(first), run.result(second)
    assert before is not None and after is not None
    segments = word_diff(before.refined_prompt, after.refined_prompt)
    inserted, deleted = diff_counts(segments)
    st.caption(f"{inserted} words inserted, {deleted} words deleted")
    st.html(diff_html(segments))


def render_history(runtime: Runtime, user_id: str) -> None:
    """Every run, newest first, searchable, with exports."""
    lab = lab_of(runtime)
    text = st.text_input("Search", key="lab-search", placeholder="Words in the brief, a result or a note")
    runs, total = lab.list_runs(user_id=user_id, text=text or None, page_size=50)
    json_col, csv_col, count_col = st.columns(3)
    json_col.download_button(
        "Export JSON",
        lab.export(user_id=user_id, text=text or None, fmt="json"),
        file_name="prompt-lab-history.json",
        mime="application/json",
        on_click="ignore",
    )
    csv_col.download_button(
        "Export CSV",
        lab.export(user_id=user_id, text=text or None, fmt="csv"),
        file_name="prompt-lab-history.csv",
        mime="text/csv",
        on_click="ignore",
    )
    count_col.caption(f"{total} run(s)")
    if not runs:
        st.info("No lab runs yet." if not text else "No run mentions that.")
    for run in runs:
        with st.container(border=True):
            info, action = st.columns([5, 1], vertical_alignment="center")
            starred = sum(r.starred for r in run.results)
            info.markdown(f"**{run.title}** · {run.created_at:%Y-%m-%d %H:%M} UTC · {', '.join(run.models)}")
            info.caption(f"{run.brief[:160]} · ≈ ${run.total_cost_usd:.4f}" + (f" · ★ {starred}" if starred else ""))
            if action.button("Open", key=f"open-{run.id}"):
                _show_run(run)


def current_run(runtime: Runtime, user_id: str) -> LabRun | None:
    """The run on screen, if any (and still the user's)."""
    run_id = st.session_state.get(RUN_KEY)
    if not run_id:
        return None
    try:
        return lab_of(runtime).get_run(user_id=user_id, run_id=run_id)
    except StudioError:
        st.session_state.pop(RUN_KEY, None)
        return None
