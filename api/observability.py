"""Per-request observability: a request id, the workflow id, latency by route, one access log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.core import metrics
from services.core.log_setup import bound

log = logging.getLogger("api.access")
REQUEST_ID_HEADER = b"x-request-id"
# A caller's own request id is kept (to follow one request across services) only when it is plain.
ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
WORKFLOW_IN_PATH = re.compile(r"/video-workflows/([0-9a-f]{24})(?:/|$)")
UNMATCHED_ROUTE = "unmatched"  # one label for every unknown path, so scanners cannot explode the series


class RequestObservability:
    """Pure ASGI middleware (it does not buffer, so the server-sent events stream through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        workflow = WORKFLOW_IN_PATH.search(scope["path"])
        status = [500]  # what the client gets if the app raises before answering

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        started = time.perf_counter()
        with bound(request_id=request_id, workflow_id=workflow.group(1) if workflow else None):
            try:
                await self.app(scope, receive, send_with_request_id)
            finally:
                seconds = time.perf_counter() - started
                route = route_template(scope)
                metrics.http_request_timed(method=scope["method"], route=route, status=status[0], seconds=seconds)
                log.info("%s %s %s in %.1f ms", scope["method"], route, status[0], seconds * 1000)


def route_template(scope: Scope) -> str:
    """The matched route's path template under the mount (/api/workflows/{workflow_id}), never the raw path."""
    route = scope.get("route")
    if route is None or isinstance(route, Mount):  # nothing matched here; the mount that led to us is not a route
        return UNMATCHED_ROUTE
    return f"{scope.get('root_path', '')}{route.path}"


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            return text if ACCEPTABLE_REQUEST_ID.match(text) else None
    return None
