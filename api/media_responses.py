"""Streaming a stored file as an HTTP response: whole (200) or one byte range (206), never whole in memory."""

from __future__ import annotations

import re

from fastapi import Response
from fastapi.responses import StreamingResponse

from services.storage.media_store import StoredMedia

# Media is only ever shown, never run: no sniffing a PNG into HTML, and no scripts even if it were.
MEDIA_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}
_SINGLE_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})\Z")


class UnsatisfiableRange(Exception):
    """A well-formed range that starts beyond the file's end."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `bytes=` range; None to serve the whole file (no, several or malformed ranges)."""
    match = _SINGLE_RANGE.match(header.strip()) if header else None
    if match is None or match.group(1) == match.group(2) == "":
        return None  # RFC 9110: a Range a server doesn't understand is ignored
    first, last = match.group(1), match.group(2)
    if first == "":  # a suffix: the last N bytes
        if int(last) == 0 or size == 0:
            raise UnsatisfiableRange
        return max(size - int(last), 0), size - 1
    start, end = int(first), int(last) if last else size - 1
    if start >= size and (not last or end >= start):
        raise UnsatisfiableRange
    if end < start:
        return None
    return start, min(end, size - 1)


def media_response(media: StoredMedia, range_header: str | None, *, cache_control: str, download: bool = False) -> Response:
    """The file, or the requested range of it, streamed a piece at a time with the media security headers."""
    headers = {**MEDIA_SECURITY_HEADERS, "Accept-Ranges": "bytes", "Cache-Control": cache_control}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{media.key.rsplit("/", 1)[-1]}"'
    try:
        span = byte_range(range_header, media.size)
    except UnsatisfiableRange:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{media.size}"})
    if span is None:
        headers["Content-Length"] = str(media.size)
        return StreamingResponse(media.chunks(), media_type=media.content_type, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end}/{media.size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(media.chunks(start, end), status_code=206, media_type=media.content_type, headers=headers)
