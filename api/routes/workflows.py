"""The spec's nine workflow endpoints, plus media. Routes translate; the service decides."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from api.deps import ApiServicesDep, Principal, PrincipalDep, ServiceDep, limit_per_ip
from api.errors import error_responses
from api.schemas import (
    CreateWorkflowRequest,
    GenerateFramesRequest,
    GenerateVideoRequest,
    JobResponse,
    RefinePromptRequest,
    RegenerateFramesRequest,
    ReviewFramesRequest,
    WorkflowListResponse,
    WorkflowResponse,
    WorkflowSummaryOut,
)
from api.views import workflow_json
from services.accounts.api_services import ApiServices
from services.accounts.idempotency import fingerprint
from services.core.errors import StudioError
from services.workflows.domain import VideoWorkflow, WorkflowStatus

WorkflowId = Annotated[
    str, Path(alias="workflowId", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="The workflow's id.")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Repeat a request safely: the same key and body return the first response without a second generation.",
    ),
]
AUTH = error_responses(401, 403, 404, 413, 422, 429, 503)
GENERATION = error_responses(400, 401, 403, 404, 409, 413, 422, 429, 502, 503)
# Frames and video run as durable jobs: 202 while the job runs (follow .../job), 200 when it already finished.
JOB_STARTED = {
    **GENERATION,
    202: {
        "model": WorkflowResponse,
        "description": "Accepted: the workflow is PROCESSING "
        "under `activeJobId`; follow GET .../job, or the workflow's status.",
    },
}

# Operations that take the created workflow's id: OpenAPI links let clients (and the fuzzer) follow them.
LINKED_OPERATIONS = (
    "getWorkflow",
    "refinePrompt",
    "generateFrames",
    "reviewFrames",
    "regenerateFrames",
    "generateVideo",
    "deleteWorkflow",
)
LINKS = {name: {"operationId": name, "parameters": {"workflowId": "$response.body#/id"}} for name in LINKED_OPERATIONS}

API_PREFIX = "/api"
router = APIRouter(prefix="/video-workflows", tags=["video workflows"], dependencies=[Depends(limit_per_ip)])


def media_base(request: Request) -> str:
    """Where this API serves media: under its mount point (/api/media), also for a request at a seed path."""
    return f"{request.scope.get('root_path') or API_PREFIX}/media"


def _view(request: Request, workflow: VideoWorkflow) -> WorkflowResponse:
    return WorkflowResponse.of(workflow, media_base=media_base(request))


def _json(model: BaseModel, status_code: int = 200) -> Response:
    # Serialise once: returning the model would make FastAPI validate it against response_model again.
    return Response(model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json")


def _run_generation(
    request: Request,
    *,
    api: ApiServices,
    principal: Principal,
    idempotency_key: str | None,
    body: BaseModel,
    action: Callable[[], VideoWorkflow],
) -> Response:
    """Replay or claim the idempotency key, then run the service call (which charges the limits if work starts)."""
    user = principal.user_id
    if idempotency_key is not None:
        request_hash = fingerprint(request.method, request.url.path, body.model_dump(mode="json"))
        stored = api.idempotency.begin(user_id=user, key=idempotency_key, request_hash=request_hash)
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"})
    try:
        workflow = action()
        payload = _view(request, workflow).model_dump(mode="json", by_alias=True)  # stored for replays too
    except BaseException:
        if idempotency_key is not None:
            api.idempotency.abandon(user_id=user, key=idempotency_key)
        raise
    status_code = 202 if workflow.status is WorkflowStatus.PROCESSING else 200
    if idempotency_key is not None:
        api.idempotency.finish(user_id=user, key=idempotency_key, status_code=status_code, body=payload)
    return JSONResponse(payload, status_code=status_code)


@router.post(
    "",
    status_code=201,
    response_model=WorkflowResponse,
    summary="Create a workflow from a brief",
    operation_id="createWorkflow",
    responses={**error_responses(400, 401, 413, 422, 429, 503), 201: {"description": "The new workflow.", "links": LINKS}},
)
def create_workflow(request: Request, body: CreateWorkflowRequest, service: ServiceDep, principal: PrincipalDep) -> Response:
    return _json(_view(request, service.create_workflow(user_id=principal.user_id, brief=body.to_brief())), 201)


@router.get(
    "",
    operation_id="listWorkflows",
    response_model=WorkflowListResponse,
    summary="List your workflows (newest activity first), as summaries with an exact total",
    responses=error_responses(401, 422, 429, 503),
)
def list_workflows(
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    campaign_id: Annotated[str | None, Query(alias="campaignId", max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 20,
) -> Response:
    found = service.list_summaries(user_id=principal.user_id, campaign_id=campaign_id, page=page, page_size=page_size)
    base = media_base(request)
    items = [WorkflowSummaryOut.of(summary, media_base=base) for summary in found.items]
    return _json(WorkflowListResponse(items=items, total=found.total, page=found.page, page_size=found.page_size))


@router.get(
    "/{workflowId}", operation_id="getWorkflow", response_model=WorkflowResponse, summary="Get one workflow", responses=AUTH
)
def get_workflow(request: Request, workflow_id: WorkflowId, service: ServiceDep, principal: PrincipalDep) -> Response:
    document = service.get_workflow_document(user_id=principal.user_id, workflow_id=workflow_id)
    return Response(workflow_json(document, media_base=media_base(request)), media_type="application/json")


@router.post(
    "/{workflowId}/refine-prompt",
    operation_id="refinePrompt",
    response_model=WorkflowResponse,
    responses=GENERATION,
    summary="Run one prompt refinement round (60 per minute per user)",
)
def refine_prompt(
    request: Request,
    workflow_id: WorkflowId,
    service: ServiceDep,
    api: ApiServicesDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
    body: Annotated[RefinePromptRequest | None, Body()] = None,
) -> Response:
    body = body or RefinePromptRequest()
    return _run_generation(
        request,
        api=api,
        principal=principal,
        idempotency_key=idempotency_key,
        body=body,
        action=lambda: service.refine_prompt(
            user_id=principal.user_id,
            workflow_id=workflow_id,
            additional_info=body.additional_info,
            model=body.model,
            fresh=body.fresh,
            key_id=principal.key_id,
        ),
    )


@router.post(
    "/{workflowId}/generate-frames",
    operation_id="generateFrames",
    response_model=WorkflowResponse,
    responses=JOB_STARTED,
    summary="Generate the storyboard frames (10 per minute, 100 per day per user; refused requests cost nothing)",
)
def generate_frames(
    request: Request,
    workflow_id: WorkflowId,
    service: ServiceDep,
    api: ApiServicesDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
    body: Annotated[GenerateFramesRequest | None, Body()] = None,
) -> Response:
    body = body or GenerateFramesRequest()
    return _run_generation(
        request,
        api=api,
        principal=principal,
        idempotency_key=idempotency_key,
        body=body,
        action=lambda: service.generate_frames(
            user_id=principal.user_id,
            workflow_id=workflow_id,
            frame_count=body.frame_count,
            model=body.model,
            key_id=principal.key_id,
        ),
    )


@router.post(
    "/{workflowId}/review-frames",
    operation_id="reviewFrames",
    response_model=WorkflowResponse,
    responses=GENERATION,
    summary="Approve or reject frames, with feedback",
)
def review_frames(
    request: Request, workflow_id: WorkflowId, body: ReviewFramesRequest, service: ServiceDep, principal: PrincipalDep
) -> Response:
    return _json(
        _view(request, service.review_frames(user_id=principal.user_id, workflow_id=workflow_id, reviews=body.to_reviews()))
    )


@router.post(
    "/{workflowId}/regenerate-frames",
    operation_id="regenerateFrames",
    response_model=WorkflowResponse,
    responses=JOB_STARTED,
    summary="Regenerate the listed frames with their feedback (counts as frame generation)",
)
def regenerate_frames(
    request: Request,
    workflow_id: WorkflowId,
    body: RegenerateFramesRequest,
    service: ServiceDep,
    api: ApiServicesDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return _run_generation(
        request,
        api=api,
        principal=principal,
        idempotency_key=idempotency_key,
        body=body,
        action=lambda: service.regenerate_frames(
            user_id=principal.user_id, workflow_id=workflow_id, frame_numbers=body.frame_numbers, key_id=principal.key_id
        ),
    )


@router.post(
    "/{workflowId}/generate-video",
    operation_id="generateVideo",
    response_model=WorkflowResponse,
    responses=JOB_STARTED,
    summary="Render the video from the approved frames (1 per hour, 10 per day per user; refused requests cost nothing)",
)
def generate_video(
    request: Request,
    workflow_id: WorkflowId,
    service: ServiceDep,
    api: ApiServicesDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
    body: Annotated[GenerateVideoRequest | None, Body()] = None,
) -> Response:
    body = body or GenerateVideoRequest()
    return _run_generation(
        request,
        api=api,
        principal=principal,
        idempotency_key=idempotency_key,
        body=body,
        action=lambda: service.generate_video(
            user_id=principal.user_id,
            workflow_id=workflow_id,
            model=body.model,
            duration=body.duration,
            fps=body.fps,
            key_id=principal.key_id,
        ),
    )


@router.delete(
    "/{workflowId}",
    operation_id="deleteWorkflow",
    status_code=204,
    response_class=Response,
    responses=AUTH,
    summary="Delete a workflow (soft; ?hard=true removes it and its media)",
)
def delete_workflow(
    workflow_id: WorkflowId,
    service: ServiceDep,
    principal: PrincipalDep,
    hard: Annotated[bool, Query(description="Remove the document and media for good.")] = False,
) -> Response:
    service.delete_workflow(user_id=principal.user_id, workflow_id=workflow_id, hard=hard)
    return Response(status_code=204)


@router.get(
    "/{workflowId}/job",
    operation_id="getWorkflowJob",
    response_model=JobResponse,
    responses=AUTH,
    summary="The workflow's latest generation job: status and progress",
)
def get_job(workflow_id: WorkflowId, service: ServiceDep, principal: PrincipalDep) -> Response:
    return _json(JobResponse.of(service.latest_job(user_id=principal.user_id, workflow_id=workflow_id)))


@router.post(
    "/{workflowId}/cancel",
    operation_id="cancelGeneration",
    response_model=WorkflowResponse,
    responses=GENERATION,
    summary="Cancel the running generation; finished work is kept",
)
def cancel_generation(request: Request, workflow_id: WorkflowId, service: ServiceDep, principal: PrincipalDep) -> Response:
    return _json(_view(request, service.cancel_generation(user_id=principal.user_id, workflow_id=workflow_id)))


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
