"""The app as app.py serves it, with a scripted video model in place of the offline animatic (browser tests only).

`streamlit run tests/support/scripted_app.py` with VIDEO_SCRIPT=slow: the render reports progress every 0.5 s for as many
seconds as the video lasts and stops when canceled; VIDEO_SCRIPT=fail: the render fails with a provider error.
"""

from __future__ import annotations

import os
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import streamlit as st

from api.main import mount_api
from services.bootstrap import get_runtime, shutdown_runtime
from services.core.errors import ProviderError
from services.core.job_scope import progress
from services.providers.base import VideoRequest, VideoResult
from services.providers.registry import ModelRole
from tests.support.fakes import SlowVideo

ROOT = Path(__file__).resolve().parents[2]


class FailingVideo:
    """A render the provider refuses."""

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        progress(10, "Sending the frames to the video model")
        time.sleep(1)
        raise ProviderError("the video model is overloaded (503)", provider="scripted", status=503)


@asynccontextmanager
async def lifespan(_app):  # type: ignore[no-untyped-def]
    runtime = await anyio.to_thread.run_sync(get_runtime)
    video = FailingVideo() if os.environ.get("VIDEO_SCRIPT") == "fail" else SlowVideo()
    runtime.models.register(
        ModelRole.VIDEO, runtime.settings.DEFAULT_VIDEO_MODEL, provider_name="scripted", implementation=video
    )
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(shutdown_runtime)


app = st.App(str(ROOT / "streamlit_app.py"), routes=[mount_api()], lifespan=lifespan)
