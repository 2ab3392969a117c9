"""Prompt Lab screens for frames A/B (one frame on two frame models) and video variations (two videos, pick one)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from services.bootstrap import Runtime
from services.core.errors import StudioError
from services.lab.domain import FrameComparison, VideoVariationSet
from services.lab.frames_ab import FRAME_MODELS
from services.lab.variations import LabVariations, VariationSpec
from services.providers.registry import ModelRole
from services.workflows.domain import VideoWorkflow, WorkflowStep
from ui.prompt_lab import lab_of, user_workflows
from ui.widgets import act, badge_row, show_error

COMPARISON_KEY, VARIATIONS_KEY = "lab_comparison_id", "lab_variation_set_id"
POLL_SECONDS = 2.0


def _variations(runtime: Runtime) -> LabVariations:
    variations = lab_of(runtime).variations
    assert variations is not None, "build_lab wires the variations"
    return variations


def _pick_workflow(runtime: Runtime, user_id: str, *, key: str, when, empty: str) -> VideoWorkflow | None:  # type: ignore[no-untyped-def]
    workflows = [w for w in user_workflows(runtime, user_id) if when(w)]
    if not workflows:
        st.info(empty)
        return None
    names = {w.id: w.title for w in workflows}
    chosen = st.selectbox("Workflow", list(names), format_func=names.__getitem__, key=key)
    return next(w for w in workflows if w.id == chosen)


def render_frames_ab(runtime: Runtime, user_id: str) -> None:
    """One frame's prompt on two frame models with the same seed; adopt one as the frame's next version."""
    workflow = _pick_workflow(
        runtime,
        user_id,
        key="ab-workflow",
        when=lambda w: w.current_step is WorkflowStep.FRAME_REVIEW and bool(w.generated_frames),
        empty="Frames A/B works on a workflow in frame review. Generate its frames in the wizard first.",
    )
    if workflow is None:
        return
    labels = {
        f.frame_number: f"Frame {i + 1} · {f.scene} · v{f.version} · {f.model}"
        for i, f in enumerate(workflow.generated_frames)
    }
    number = st.selectbox("Frame", list(labels), format_func=labels.__getitem__, key=f"ab-frame-{workflow.id}")
    if st.button(f"Render on {FRAME_MODELS[0]} and {FRAME_MODELS[1]}", type="primary", key="ab-run"):
        act(
            "Rendering the frame on both models…",
            lambda: _variations(runtime).compare_frame(user_id=user_id, workflow_id=workflow.id, frame_number=number),
            then=lambda c: _remember(COMPARISON_KEY, c.id),
        )
    comparison_id = st.session_state.get(COMPARISON_KEY)
    if comparison_id:
        try:
            comparison = _variations(runtime).get_comparison(user_id=user_id, comparison_id=comparison_id)
        except StudioError as exc:
            show_error(exc)
            return
        _comparison(runtime, user_id, comparison)


def _remember(key: str, value: str) -> None:
    st.session_state[key] = value
    st.rerun()


def _comparison(runtime: Runtime, user_id: str, comparison: FrameComparison) -> None:
    columns = st.columns(len(comparison.candidates))
    for column, candidate in zip(columns, comparison.candidates, strict=True):
        with column, st.container(border=True):
            st.markdown(f"**{candidate.model}**")
            seed = f"seed {candidate.seed}" if candidate.seed_applied else "takes no seed"
            badge_row(
                [
                    ("offline" if candidate.provider == "offline" else candidate.provider, "gray"),
                    (seed, "blue"),
                    (f"{candidate.latency_ms} ms", "violet"),
                    (f"≈ ${candidate.cost_usd:.4f} (estimate)", "green"),
                ]
            )
            if candidate.error:
                st.error(candidate.error)
                continue
            st.image(runtime.service.read_media(user_id=user_id, key=candidate.image_key))
            if comparison.adopted_model == candidate.model:
                st.success("Adopted as the frame's next version.")
            elif comparison.adopted_model is None and st.button(
                "Adopt as next version", key=f"adopt-frame-{comparison.id}-{candidate.model}", type="primary"
            ):
                act(
                    "Adopting…",
                    partial(
                        _variations(runtime).adopt_frame,
                        user_id=user_id,
                        comparison_id=comparison.id,
                        model=candidate.model,
                    ),
                )


def render_video_variations(runtime: Runtime, user_id: str) -> None:
    """Two videos from the approved frames with another model, seed or fps; play them side by side and pick one."""
    workflow = _pick_workflow(
        runtime,
        user_id,
        key="var-workflow",
        when=lambda w: w.frames_approved,
        empty="Video variations need a workflow whose frames are all approved.",
    )
    if workflow is None:
        return
    models = runtime.models.model_ids(ModelRole.VIDEO)
    options = runtime.service.video_options(workflow.model_selections.video)
    specs = []
    columns = st.columns(2)
    for index, column in enumerate(columns):
        with column, st.container(border=True):
            st.markdown(f"**Variation {index + 1}**")
            current = workflow.model_selections.video
            start = models.index(current) if current in models else 0
            model = st.selectbox("Video model", models, index=start, key=f"var-model-{index}")
            seed = st.number_input("Seed", min_value=0, max_value=2**31 - 1, value=1000 + index, key=f"var-seed-{index}")
            rates = list(runtime.service.video_options(model).frame_rates) or list(options.frame_rates)
            fps = st.select_slider(
                "Frames per second", options=rates, value=rates[len(rates) // 2], key=f"var-fps-{index}-{model}"
            )
            specs.append(VariationSpec(model=model, seed=int(seed), fps=int(fps)))
    st.caption("Counts as one video generation against your limits. Both variations are kept; you pick one.")
    if st.button("Render 2 variations", type="primary", key="var-run"):
        act(
            "Starting the variations…",
            lambda: _variations(runtime).request_video_variations(user_id=user_id, workflow_id=workflow.id, specs=specs),
            then=lambda s: _remember(VARIATIONS_KEY, s.id),
        )
    set_id = st.session_state.get(VARIATIONS_KEY)
    if set_id:
        _variation_set(runtime, user_id, set_id)


@st.fragment(run_every=POLL_SECONDS)
def _variation_set(runtime: Runtime, user_id: str, set_id: str) -> None:
    try:
        variation_set: VideoVariationSet = _variations(runtime).get_variation_set(user_id=user_id, set_id=set_id)
    except StudioError as exc:
        show_error(exc)
        return
    columns = st.columns(len(variation_set.variations))
    for column, variation in zip(columns, variation_set.variations, strict=True):
        with column, st.container(border=True):
            st.markdown(
                f"**Variation {variation.index + 1}** · {variation.model} · seed {variation.seed} · {variation.fps} fps"
            )
            if variation.video is None:
                if variation.error:
                    st.error(variation.error)
                else:
                    st.info(f"Rendering… (estimate ${variation.estimate_usd:.2f})", icon="⏳")
                continue
            video = variation.video
            st.video(runtime.service.read_media(user_id=user_id, key=video.video_key), format="video/mp4")
            badge_row(
                [
                    (video.provider, "gray"),
                    (f"{video.duration_ms / 1000:.1f} s to render", "violet"),
                    (f"≈ ${video.cost_usd:.2f} (estimate)", "green"),
                ]
            )
            if variation_set.picked_index == variation.index:
                st.success("This is the workflow's video.")
            elif st.button("Pick this one", key=f"pick-{set_id}-{variation.index}", type="primary"):
                act(
                    "Setting the workflow's video…",
                    partial(_variations(runtime).pick_video, user_id=user_id, set_id=set_id, index=variation.index),
                    then=lambda _w: st.rerun(scope="app"),
                )
