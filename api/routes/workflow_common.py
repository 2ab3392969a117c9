"""What every workflow route shares: the id parameter, the Idempotency-Key header, the documented errors, and
turning a workflow into its JSON response (once, not validated twice), with idempotent replays for generations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import Principal
from api.errors import error_responses
from api.schemas import WorkflowResponse
from services.accounts.api_services import ApiServices
from services.accounts.idempotency import fingerprint
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


def media_base(request: Request) -> str:
    """Where this API serves media: under its mount point (/api/media), also for a request at a seed path."""
    return f"{request.scope.get('root_path') or API_PREFIX}/media"


def workflow_view(request: Request, workflow: VideoWorkflow) -> WorkflowResponse:
    return WorkflowResponse.of(workflow, media_base=media_base(request))


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    # Serialise once: returning the model would make FastAPI validate it against response_model again.
    return Response(model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json")


def run_generation(
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
        payload = workflow_view(request, workflow).model_dump(mode="json", by_alias=True)  # stored for replays too
    except BaseException:
        if idempotency_key is not None:
            api.idempotency.abandon(user_id=user, key=idempotency_key)
        raise
    status_code = 202 if workflow.status is WorkflowStatus.PROCESSING else 200
    if idempotency_key is not None:
        api.idempotency.finish(user_id=user, key=idempotency_key, status_code=status_code, body=payload)
    return JSONResponse(payload, status_code=status_code)
