"""The first-run widget: "Try an example" on an empty studio."""

from __future__ import annotations

import streamlit as st

from services.bootstrap import Runtime
from services.core.errors import StudioError
from services.examples.seeder import FINISHED, FOR_REVIEW, ExampleSeeder
from ui.widgets import show_error
from ui.wizard_context import WORKFLOW_PARAM
from ui.wizard_view import WizardStep


def try_an_example(runtime: Runtime, user_id: str, *, key: str) -> None:
    """For a user with no workflows: make the two bundled examples and open the finished one."""
    with st.container(border=True):
        st.markdown("**New here? Try an example.**")
        st.caption(
            "Makes two example workflows in your account from bundled briefs: one finished, with its video, and one "
            "waiting for you to review its frames. They are drawn by the offline models, cost nothing and use none "
            "of your quota. Delete them any time from My Workflows."
        )
        if not st.button("Try an example", type="primary", icon=":material/play_circle:", key=key):
            return
        with st.spinner("Making the examples: a few seconds…"):
            try:
                seeder = ExampleSeeder(runtime.service.without_limits())
                finished = seeder.create(user_id=user_id, kind=FINISHED)
                seeder.create(user_id=user_id, kind=FOR_REVIEW)
            except StudioError as exc:
                show_error(exc)
                return
    st.switch_page(WizardStep.RESULT.page, query_params={WORKFLOW_PARAM: finished.id})  # straight to its player
