"""Where the UI loads a frame or video from: a short-lived signed URL the browser fetches with range requests.

Pages sign only keys of workflows the service has just read for the signed-in user, so a URL is only ever made
for the owner; the bytes never travel through the websocket.
"""

from __future__ import annotations

from services.bootstrap import Runtime
from ui.media_urls import media_src


def media_url(runtime: Runtime, key: str, *, download: bool = False) -> str:
    """The signed, expiring URL of one of the user's frames or videos (MEDIA_URL_TTL_SECONDS)."""
    return media_src(runtime, key, download=download)
