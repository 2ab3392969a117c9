"""Where the UI loads a frame or video from."""

from __future__ import annotations

from ui.wizard_context import WizardContext


def media_source(ctx: WizardContext, key: str) -> bytes:
    """The media file for st.image / st.video (checked against the signed-in user by the service)."""
    return ctx.runtime.service.read_media(user_id=ctx.user_id, key=key)
