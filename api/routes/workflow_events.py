"""GET /video-workflows/{id}/events: a generation followed live as server-sent events.

The stream holds no thread while it waits (each read is one short call on a worker thread), counts against the
user's EVENT_STREAMS_PER_USER while open, and gives its slot back however it ends.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from api.deps import ApiServicesDep, PrincipalDep, ServiceDep, limit_per_ip
from api.routes.workflow_common import AUTH, WorkflowId
from services.core.errors import StudioError

router = APIRouter(prefix="/video-workflows", tags=["video workflows"], dependencies=[Depends(limit_per_ip)])


@router.get(
    "/{workflowId}/events",
    operation_id="workflowEvents",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent `progress` events (JSON) whenever the workflow or its job "
            "changes; the stream ends once the workflow is no longer PROCESSING, or after EVENT_STREAM_MAX_SECONDS "
            "(reconnect with `Last-Event-ID`: what you already have is not sent again).",
        },
        **AUTH,
    },
    summary="Follow a generation live (server-sent events; at most EVENT_STREAMS_PER_USER open at once)",
)
async def workflow_events(
    request: Request,
    workflow_id: WorkflowId,
    service: ServiceDep,
    api: ApiServicesDep,
    principal: PrincipalDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
) -> Response:
    user_id = principal.user_id
    # 403/404 before the stream starts; the read runs on a worker thread, never on the event loop.
    await anyio.to_thread.run_sync(functools.partial(service.get_workflow, user_id=user_id, workflow_id=workflow_id))
    settings = service.settings
    release = api.streams.acquire(user_id)
    updates = service.follow(
        user_id=user_id,
        workflow_id=workflow_id,
        is_disconnected=request.is_disconnected,
        last_event_id=last_event_id,
        poll_seconds=settings.EVENT_STREAM_POLL_SECONDS,
        max_seconds=settings.EVENT_STREAM_MAX_SECONDS,
    )
    return LeasedEventStream(_progress_events(updates), release=release, ping=15, headers={"Cache-Control": "no-cache"})


async def _progress_events(updates: AsyncIterator[tuple[str, dict]]) -> AsyncIterator[ServerSentEvent]:
    try:
        async for event_id, snapshot in updates:
            yield ServerSentEvent(data=json.dumps(snapshot), event="progress", id=event_id)
    except StudioError:
        return  # the workflow went away (deleted) while followed: the stream just ends


class LeasedEventStream(EventSourceResponse):
    """An event stream that gives its user's stream slot back however it ends (done, disconnect, error)."""

    def __init__(self, content: AsyncIterator[ServerSentEvent], *, release: Callable[[], None], **options: Any) -> None:
        super().__init__(content, **options)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()
