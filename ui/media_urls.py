"""Signed media URLs for pages: `st.image` / `st.video` take them, and the browser loads the bytes with ranges.

`st.image` and `st.video` pass through only absolute URLs (a relative one is taken for a file path), so the
signed path is prefixed with the origin the browser is on.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from services.bootstrap import Runtime

_NO_BROWSER_ORIGIN = "http://localhost"  # AppTest has no browser URL; nothing loads the image there anyway


def browser_origin(runtime: Runtime) -> str:
    """scheme://host[:port] of the page in the user's browser (PUBLIC_BASE_URL, then a placeholder, without one)."""
    url = st.context.url or runtime.settings.PUBLIC_BASE_URL or _NO_BROWSER_ORIGIN
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def media_src(runtime: Runtime, key: str, *, ttl: int | None = None, download: bool = False) -> str:
    """An absolute, signed, expiring URL of one media key, for st.image, st.video or a download link."""
    url = browser_origin(runtime) + runtime.sign_media_url(key, ttl)
    return f"{url}&download=true" if download else url
