"""Users' callback URLs for workflow events (outgoing webhooks). Routes translate; the service decides."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import Field

from api.deps import PrincipalDep, RuntimeDep, limit_per_ip
from api.errors import error_responses
from api.schemas import RequestModel, ResponseModel
from services.bootstrap import Runtime
from services.webhooks.outgoing import EVENT_TYPES, OutgoingWebhooks

callbacks_router = APIRouter(prefix="/webhook-endpoints", tags=["webhooks"], dependencies=[Depends(limit_per_ip)])
EndpointId = Annotated[str, Path(alias="endpointId", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class CreateEndpointRequest(RequestModel):
    url: Annotated[str, Field(min_length=1, max_length=2000)]


class EndpointOut(ResponseModel):
    id: str
    url: str
    created_at: datetime
    events: list[str] = list(EVENT_TYPES)


class EndpointCreatedResponse(EndpointOut):
    secret: str  # Standard Webhooks signing secret (whsec_...), shown only in this response


def _callbacks(runtime: Runtime) -> OutgoingWebhooks:
    return runtime.callbacks


@callbacks_router.post(
    "",
    status_code=201,
    response_model=EndpointCreatedResponse,
    responses=error_responses(400, 401, 404, 413, 422, 429, 503),
    summary="Register a callback URL for workflow events (its secret is shown only here)",
)
def create_endpoint(body: CreateEndpointRequest, runtime: RuntimeDep, principal: PrincipalDep) -> EndpointCreatedResponse:
    endpoint, secret = _callbacks(runtime).register(user_id=principal.user_id, url=body.url)
    return EndpointCreatedResponse(id=endpoint.id, url=endpoint.url, created_at=endpoint.created_at, secret=secret)


@callbacks_router.get(
    "", response_model=list[EndpointOut], responses=error_responses(401, 404, 429, 503), summary="The user's callback URLs"
)
def list_endpoints(runtime: RuntimeDep, principal: PrincipalDep) -> list[EndpointOut]:
    return [
        EndpointOut(id=e.id, url=e.url, created_at=e.created_at)
        for e in _callbacks(runtime).list_for_user(principal.user_id)
    ]


@callbacks_router.delete(
    "/{endpointId}",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 404, 422, 429, 503),
    summary="Remove a callback URL",
)
def delete_endpoint(endpoint_id: EndpointId, runtime: RuntimeDep, principal: PrincipalDep) -> Response:
    _callbacks(runtime).remove(user_id=principal.user_id, endpoint_id=endpoint_id)
    return Response(status_code=204)
