"""The Analytics page's widgets: period and user pickers, headline tiles and the charts of one report."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from services.analytics.pipelines import Period
from services.analytics.report import AnalyticsReport
from services.analytics.service import Person
from services.core.errors import StudioError
from ui.widgets import show_error

PRESETS = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90}
CUSTOM = "Custom range"
DEFAULT_PRESET = "Last 30 days"
STEP_NAMES = {
    "PROMPT_REFINEMENT": "Prompt refinement",
    "FRAME_GENERATION": "Frame generation",
    "FRAME_REVIEW": "Frame regeneration",
    "VIDEO_GENERATION": "Video generation",
}


def period_picker(*, today: date) -> Period | None:
    """A preset (last 7, 30 or 90 days) or a custom range of UTC days; None until a custom range is complete."""
    choice = st.segmented_control("Period", [*PRESETS, CUSTOM], default=DEFAULT_PRESET, key="analytics_preset")
    if choice != CUSTOM:
        return Period.last_days(PRESETS.get(choice or DEFAULT_PRESET, 30), today=today)
    picked = st.date_input(
        "From and to (UTC days, both included)",
        value=(Period.last_days(30, today=today).start, today),
        max_value=today,
        key="analytics_range",
    )
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.caption("Pick the last day of the range too.")
        return None
    try:
        return Period(start=picked[0], end=picked[1])
    except StudioError as exc:
        show_error(exc)
        return None


def user_filter(people: list[Person]) -> str | None:
    """An admin's choice: everyone (None) or one user's id."""
    names = {p.id: f"{p.name} ({p.username})" for p in people}
    return st.selectbox(
        "User", [None, *names], key="analytics_user", format_func=lambda uid: "All users" if uid is None else names[uid]
    )


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def headline_tiles(report: AnalyticsReport) -> None:
    """The period's headline figures as metric cards."""
    average = report.average_refinement_iterations
    with st.container(horizontal=True):
        st.metric(
            "Workflows created",
            report.workflows_created,
            border=True,
            help=f"{report.creations_per_day:.2f} per day over {report.period.days} days",
        )
        st.metric(
            "Avg refinement iterations",
            "—" if average is None else f"{average:.2f}",
            border=True,
            help="Refinement rounds per workflow created in the period, cache hits included.",
        )
        st.metric(
            "Frame approval rate",
            _percent(report.frame_approval_rate),
            border=True,
            help=f"{report.frames_approved} approvals out of {report.frames_approved + report.frames_rejected} "
            "review decisions (every approve or reject, re-reviews included).",
        )
        st.metric(
            "Video success rate",
            _percent(report.video_success_rate),
            border=True,
            help=f"{report.videos_made} of {report.video_attempts} workflows that tried to render a video got one.",
        )
        st.metric(
            "Total cost",
            f"${report.total_cost_usd:,.2f}",
            border=True,
            help="The workflows' running totals (replaced frame versions included).",
        )


def creation_chart(report: AnalyticsReport) -> None:
    """Workflows created per day."""
    frame = pd.DataFrame(
        {"Day": [d.day for d in report.creations_by_day], "Workflows": [d.workflows for d in report.creations_by_day]}
    )
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(Day):O", title=None, axis=alt.Axis(format="%b %d", labelOverlap=True)),
            y=alt.Y("Workflows:Q", title="Workflows", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("yearmonthdate(Day):T", title="Day", format="%Y-%m-%d"), "Workflows:Q"],
        )
    )
    st.altair_chart(chart, alt=f"Workflows created per day, {report.workflows_created} in all")
    st.caption(
        f"{report.workflows_created} workflows in {report.period.days} days "
        f"({report.period.start} to {report.period.end}): {report.creations_per_day:.2f} per day."
    )


def generation_time_chart(report: AnalyticsReport) -> None:
    """Mean and p95 generation time per model, in seconds, with the exact figures beneath."""
    rows = [
        {"Step": t.kind, "Model": t.model, "Generations": t.count, "Measure": measure, "Seconds": ms / 1000}
        for t in report.generation_times
        for measure, ms in (("Mean", t.average_ms), ("p95", t.p95_ms))
    ]
    if not rows:
        st.caption("No timed generations in this period.")
        return
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            x=alt.X("Model:N", sort=None, title=None),
            xOffset="Measure:N",
            y=alt.Y("Seconds:Q", title="Seconds"),
            color=alt.Color("Measure:N", title=None),
            tooltip=["Step:N", "Model:N", "Measure:N", alt.Tooltip("Seconds:Q", format=".2f"), "Generations:Q"],
        )
    )
    st.altair_chart(chart, alt="Mean and 95th-percentile generation time per model")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Step": t.kind,
                    "Model": t.model,
                    "Generations": t.count,
                    "Mean (s)": round(t.average_ms / 1000, 2),
                    "p95 (s)": round(t.p95_ms / 1000, 2),
                }
                for t in report.generation_times
            ]
        ),
        hide_index=True,
    )


def error_rate_chart(report: AnalyticsReport) -> None:
    """Errors per attempt at each step, with what counts as an attempt."""
    frame = pd.DataFrame(
        [
            {
                "Step": STEP_NAMES.get(r.step.value, r.step.value),
                "Error rate": None if r.rate is None else 100 * r.rate,
                "Errors": r.errors,
                "Attempts": r.attempts,
                "A success is": r.success_label,
            }
            for r in report.error_rates
        ]
    )
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("Step:N", sort=None, title=None),
            y=alt.Y("Error rate:Q", title="Error rate (%)"),
            tooltip=["Step:N", alt.Tooltip("Error rate:Q", format=".1f"), "Errors:Q", "Attempts:Q"],
        )
    )
    st.altair_chart(chart, alt="Error rate per workflow step")
    st.caption(
        "Error rate at a step = errors at the step ÷ attempts, where attempts = successes + errors. A success "
        "is a refinement round (cache hits included), a storyboard frame generated, a frame regenerated, or a "
        "video rendered. A failed run counts as one error even when several frames failed in it."
    )
    st.dataframe(frame, hide_index=True, column_config={"Error rate": st.column_config.NumberColumn(format="%.1f%%")})
    if report.errors_by_provider:
        st.dataframe(
            pd.DataFrame(
                [
                    {"Step": STEP_NAMES.get(e.step.value, e.step.value), "Provider": e.provider, "Errors": e.errors}
                    for e in report.errors_by_provider
                ]
            ),
            hide_index=True,
        )


def cost_charts(report: AnalyticsReport, *, per_user: bool) -> None:
    """Cost per model (and per user, when the report covers everyone)."""
    by_model = pd.DataFrame(
        [{"Model": c.model, "Step": c.kind, "Cost (USD)": c.cost_usd, "Generations": c.count} for c in report.costs_by_model]
    )
    st.markdown("**Per model**")
    if not by_model.empty:
        st.bar_chart(by_model, x="Model", y="Cost (USD)", color="Step", alt="Cost per model")
    st.caption(
        "Per model: refinement rounds, the current version of each frame, and videos (earlier frame versions "
        "carry no cost of their own). The total and the per-user figures are the workflows' running totals."
    )
    if per_user:
        st.markdown("**Per user**")
        by_user = pd.DataFrame(
            [
                {
                    "User": f"{c.name} ({c.username})" if c.username else c.name,
                    "Cost (USD)": c.cost_usd,
                    "Workflows": c.workflows,
                }
                for c in report.costs_by_user
            ]
        )
        st.bar_chart(by_user, x="User", y="Cost (USD)", horizontal=True, alt="Cost per user")
