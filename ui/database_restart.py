"""The one message every page shows while the embedded database restarts, and the wait that reruns by itself."""

from __future__ import annotations

import streamlit as st

from services.bootstrap import Runtime

MESSAGE = "The database is restarting; your work is safe. This page retries by itself."


def wait_for_the_database(runtime: Runtime) -> None:
    """Say so, and rerun the whole app as soon as the database answers again."""
    st.info(MESSAGE, icon=":material/restart_alt:")

    @st.fragment(run_every=2)
    def check_again() -> None:
        if not runtime.database_restarting():
            st.rerun(scope="app")

    check_again()
