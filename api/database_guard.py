"""While the embedded database restarts, API requests get a 503 at once instead of waiting out pymongo's timeout."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import problem

RETRY_AFTER_SECONDS = 2
# Liveness, readiness and the scrape answer for themselves: readiness says "restarting", metrics count it.
ANSWERS_ITSELF = ("/health", "/ready", "/metrics")


class DatabaseRestartGuard:
    """Pure ASGI middleware: a request that needs the database is refused while `restarting()` says so."""

    def __init__(self, app: ASGIApp, *, restarting: Callable[[], bool]) -> None:
        self.app, self.restarting = app, restarting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].endswith(ANSWERS_ITSELF) and self.restarting():
            response = problem(
                503,
                "database_restarting",
                "The database is restarting; your work is safe. Retry in a few seconds.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
