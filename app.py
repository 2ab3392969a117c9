"""ASGI entry point: `streamlit run app.py` serves the UI at / and the REST API at /api.

The UI script is a separate file (streamlit_app.py) because Streamlit re-executes its script;
a same-file launcher would run twice.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import streamlit as st

from api.main import mount_api
from services.runtime import get_runtime, shutdown_runtime

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@asynccontextmanager
async def lifespan(_app):  # type: ignore[no-untyped-def]
    """Start the database (embedded unless MONGODB_URI is set) before serving; stop it after."""
    await anyio.to_thread.run_sync(get_runtime)
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(shutdown_runtime)


app = st.App(
    str(Path(__file__).with_name("streamlit_app.py")),
    routes=[mount_api()],
    lifespan=lifespan,
)

if __name__ == "__main__":
    app.run()
