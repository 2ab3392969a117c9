"""The spec's nine workflow endpoints, plus media. Routes translate; the service decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from api.deps import ApiServicesDep, PrincipalDep, ServiceDep, limit_per_ip
from api.errors import error_responses
from api.job_schemas import JobResponse
from api.routes.workflow_common import (
    AUTH,
    GENERATION,
    JOB_STARTED,
    LINKS,
    IdempotencyKey,
    WorkflowId,
    json_response,
    media_base,
    run_generation,
    workflow_view,
)
from api.schemas import (
    CreateWorkflowRequest,
    GenerateFramesRequest,
    GenerateVideoRequest,
    RefinePromptRequest,
    RegenerateFramesRequest,
    ReviewFramesRequest,
    WorkflowListResponse,
    WorkflowResponse,
    WorkflowSummaryOut,
)
from api.views import workflow_json

router = APIRouter(prefix="/video-workflows", tags=["video workflows"], dependencies=[Depends(limit_per_ip)])


@router.post(
    "",
    status_code=201,
    response_model=WorkflowResponse,
    summary="Create a workflow from a brief",
    operation_id="createWorkflow",
    responses={**error_responses(400, 401, 413, 422, 429, 503), 201: {"description": "The new workflow.", "links": LINKS}},
)
def create_workflow(request: Request, body: CreateWorkflowRequest, service: ServiceDep, principal: PrincipalDep) -> Response:
    return json_response(
        workflow_view(request, service.create_workflow(user_id=principal.user_id, brief=body.to_brief())), 201
    )


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
    return json_response(WorkflowListResponse(items=items, total=found.total, page=found.page, page_size=found.page_size))


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
    return run_generation(
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
    return run_generation(
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
    return json_response(
        workflow_view(
            request, service.review_frames(user_id=principal.user_id, workflow_id=workflow_id, reviews=body.to_reviews())
        )
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
    return run_generation(
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
    return run_generation(
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
    return json_response(JobResponse.of(service.latest_job(user_id=principal.user_id, workflow_id=workflow_id)))


@router.post(
    "/{workflowId}/cancel",
    operation_id="cancelGeneration",
    response_model=WorkflowResponse,
    responses=GENERATION,
    summary="Cancel the running generation; finished work is kept",
)
def cancel_generation(request: Request, workflow_id: WorkflowId, service: ServiceDep, principal: PrincipalDep) -> Response:
    return json_response(
        workflow_view(request, service.cancel_generation(user_id=principal.user_id, workflow_id=workflow_id))
    )
