"""Where the UI loads a frame or video from."""

from __future__ import annotations

from services.bootstrap import Runtime


def media_source(runtime: Runtime, user_id: str, key: str) -> bytes:
    """The media file for st.image / st.video (checked against the signed-in user by the service)."""
    return runtime.service.read_media(user_id=user_id, key=key)
