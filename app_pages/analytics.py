"""Analytics: the studio's figures over a period. Admins see everyone's (or one user's); others see their own."""

import streamlit as st

from services.core.clock import utc_now
from services.core.errors import StudioError
from ui.analytics import (
    cost_charts,
    creation_chart,
    error_rate_chart,
    generation_time_chart,
    headline_tiles,
    period_picker,
    user_filter,
)
from ui.session import analytics_service, cached_runtime, current_user_id
from ui.widgets import show_error

runtime = cached_runtime()
user_id = current_user_id()
analytics = analytics_service(runtime)

st.title("Analytics")
st.caption(
    "Every figure covers the workflows created in the period (UTC days), with all their later work; "
    "deleted workflows count too, since their work and cost were real."
)
try:
    admin = analytics.can_see_everyone(viewer_id=user_id)
    period_column, user_column = st.columns(2, vertical_alignment="bottom")
    with period_column:
        period = period_picker(today=utc_now().date())
    with user_column:
        scope = user_filter(analytics.people(viewer_id=user_id)) if admin else None
    if period is None:
        st.stop()
    report = analytics.report(viewer_id=user_id, period=period, user_id=scope)
except StudioError as exc:
    show_error(exc)
    st.stop()

if report.is_empty:
    st.info(
        f"No workflows were created between {period.start} and {period.end}. Pick a longer period"
        f"{' or another user' if admin else ''}, or start a workflow in the Video Wizard."
    )
    st.page_link("app_pages/wizard.py", label="Start a video in the Video Wizard", icon=":material/auto_awesome:")
    st.stop()
headline_tiles(report)
left, right = st.columns(2)
with left.container(border=True):
    st.subheader("Workflows created per day")
    creation_chart(report)
with right.container(border=True):
    st.subheader("Error rate by step")
    error_rate_chart(report)
with left.container(border=True):
    st.subheader("Generation time by model")
    generation_time_chart(report)
with right.container(border=True):
    st.subheader("Cost")
    cost_charts(report, per_user=report.user_id is None)
