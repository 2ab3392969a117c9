"""ASGI entry point: `streamlit run app.py` serves the UI at / and the REST API at /api (and at the spec's paths).

The UI script is a separate file (streamlit_app.py) because Streamlit re-executes its script;
a same-file launcher would run twice.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import streamlit as st

from api.main import api_routes
from services.bootstrap import get_runtime, shutdown_runtime
from services.core.errors import ConfigurationError
from services.core.log_setup import configure_logging, route_own_handlers_to_root
from services.core.settings import Settings, load_settings

# uvicorn (under Streamlit's server) would believe X-Forwarded-For from any loopback peer; the API decides
# whom to believe itself, from TRUSTED_PROXIES (api/deps.py client_ip), so uvicorn's own trust is switched off.
os.environ["FORWARDED_ALLOW_IPS"] = ""

try:
    configure_logging(load_settings())
except ConfigurationError:
    configure_logging(Settings.model_construct())  # defaults; the lifespan's start-up names the bad setting


@asynccontextmanager
async def lifespan(_app):  # type: ignore[no-untyped-def]
    """Start the database (embedded unless MONGODB_URI is set) before serving; stop it after."""
    route_own_handlers_to_root()  # uvicorn set up its own loggers after this module was imported
    await anyio.to_thread.run_sync(get_runtime)
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(shutdown_runtime)


app = st.App(
    str(Path(__file__).with_name("streamlit_app.py")),
    routes=api_routes(),
    lifespan=lifespan,
)

if __name__ == "__main__":
    app.run()
