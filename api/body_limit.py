"""Refuses request bodies over the configured size with 413, before any route parses them."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PayloadTooLargeError, studio_error_response


class _TooLarge(BaseException):
    """Raised from receive(); a BaseException so that body parsers' `except Exception` cannot swallow it."""


class BodySizeLimit:
    """Pure ASGI middleware: checks Content-Length, and counts streamed bytes for chunked bodies."""

    def __init__(self, app: ASGIApp, *, max_bytes: Callable[[], int]) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes()
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = studio_error_response(
            PayloadTooLargeError(f"The request body is larger than the limit of {limit} bytes (MAX_REQUEST_BODY_BYTES).")
        )
        await response(scope, receive, send)
