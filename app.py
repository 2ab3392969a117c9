"""ASGI entry point: `streamlit run app.py` serves the UI at / and the REST API at /api (and at the spec's paths).

The UI script is a separate file (streamlit_app.py) because Streamlit re-executes its script;
a same-file launcher would run twice.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import streamlit as st
from streamlit import config as st_config

from api.main import api_routes
from services.bootstrap import get_runtime, shutdown_runtime
from services.core.errors import ConfigurationError
from services.core.log_setup import configure_logging, route_own_handlers_to_root
from services.core.settings import Settings, load_settings

try:
    _settings: Settings | None = load_settings()
except ConfigurationError:
    _settings = None  # the lifespan's start-up names the bad setting
configure_logging(_settings or Settings.model_construct())


def apply_browser_safety(settings: Settings) -> None:
    """Production hides tracebacks from the browser, and listens only where SERVER_ADDRESS says."""
    if settings.ENVIRONMENT != "production":
        return
    st_config.set_option("client.showErrorDetails", "none")  # the logs keep every detail
    # Streamlit has bound its socket before importing this module, so a wrong address can only be refused here.
    address = st_config.get_option("server.address") or "0.0.0.0"  # unset: Streamlit listens on every interface
    if address not in (settings.SERVER_ADDRESS or "127.0.0.1", "localhost"):
        raise ConfigurationError(
            f"Invalid configuration: SERVER_ADDRESS: the app listens on {address}, but production serves only "
            "on 127.0.0.1 unless SERVER_ADDRESS names the address (start with --server.address $SERVER_ADDRESS)."
        )


if _settings is not None:
    apply_browser_safety(_settings)


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
