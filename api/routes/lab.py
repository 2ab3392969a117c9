"""Prompt Lab endpoints: runs, history and export, rating and adoption. Routes translate; PromptLab decides."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.deps import PrincipalDep, RuntimeDep, limit_per_ip
from api.errors import error_responses
from api.lab_schemas import (
    AdoptRequest,
    EstimateOut,
    LabRunListOut,
    LabRunOut,
    LabRunRequest,
    RateRequest,
    StartWorkflowRequest,
)
from api.routes.workflow_common import json_response, workflow_view
from api.schemas import WorkflowResponse
from services.lab.service import PromptLab

lab_router = APIRouter(prefix="/prompt-lab", tags=["prompt lab"], dependencies=[Depends(limit_per_ip)])
RunId = Annotated[str, Path(alias="runId", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
READ = error_responses(401, 403, 404, 422, 429, 503)
WRITE = error_responses(400, 401, 403, 404, 409, 413, 422, 429, 502, 503)


async def get_lab(runtime: RuntimeDep) -> PromptLab:
    """The runtime's Prompt Lab."""
    return runtime.lab


LabDep = Annotated[PromptLab, Depends(get_lab)]


@lab_router.post(
    "/estimate",
    operation_id="estimateLabRun",
    response_model=list[EstimateOut],
    responses=WRITE,
    summary="What a lab run would cost, per model, before it runs",
)
def estimate_run(body: LabRunRequest, lab: LabDep, principal: PrincipalDep) -> list[EstimateOut]:
    estimates = lab.estimate(
        user_id=principal.user_id,
        models=body.models,
        brief=body.brief,
        workflow_id=body.workflow_id,
        additional_info=body.additional_info,
    )
    return [EstimateOut.model_validate(e.model_dump()) for e in estimates]


@lab_router.post(
    "/runs",
    status_code=201,
    operation_id="createLabRun",
    response_model=LabRunOut,
    responses=WRITE,
    summary="Refine one brief with 2–4 models in parallel (each model counts as one refinement)",
)
def create_run(body: LabRunRequest, lab: LabDep, principal: PrincipalDep) -> Response:
    run = lab.run(  # each model counts as one refinement, charged by the lab once the run passes its checks
        user_id=principal.user_id,
        models=body.models,
        brief=body.brief,
        title=body.title,
        workflow_id=body.workflow_id,
        additional_info=body.additional_info,
        key_id=principal.key_id,
    )
    return json_response(LabRunOut.of(run), 201)


@lab_router.get(
    "/runs",
    operation_id="listLabRuns",
    response_model=LabRunListOut,
    responses=READ,
    summary="Your lab runs, newest first; q searches brief, results and notes",
)
def list_runs(
    lab: LabDep,
    principal: PrincipalDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 20,
) -> Response:
    runs, total = lab.list_runs(user_id=principal.user_id, text=q, page=page, page_size=page_size)
    return json_response(LabRunListOut(items=[LabRunOut.of(r) for r in runs], total=total, page=page, page_size=page_size))


@lab_router.get(
    "/runs/export",
    operation_id="exportLabRuns",
    response_class=Response,
    responses={200: {"content": {"application/json": {}, "text/csv": {}}, "description": "The history."}, **READ},
    summary="Your whole lab history as JSON or CSV (one row per result)",
)
def export_runs(
    lab: LabDep,
    principal: PrincipalDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",  # noqa: A002 - the query parameter's public name
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    body = lab.export(user_id=principal.user_id, text=q, fmt=format)
    media_type = "text/csv" if format == "csv" else "application/json"
    disposition = f'attachment; filename="prompt-lab-history.{format}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


@lab_router.get("/runs/{runId}", operation_id="getLabRun", response_model=LabRunOut, responses=READ, summary="One lab run")
def get_run(run_id: RunId, lab: LabDep, principal: PrincipalDep) -> Response:
    return json_response(LabRunOut.of(lab.get_run(user_id=principal.user_id, run_id=run_id)))


@lab_router.post(
    "/runs/{runId}/rate",
    operation_id="rateLabResult",
    response_model=LabRunOut,
    responses=WRITE,
    summary="Star or note a result",
)
def rate_result(run_id: RunId, body: RateRequest, lab: LabDep, principal: PrincipalDep) -> Response:
    run = lab.rate(user_id=principal.user_id, run_id=run_id, model=body.model, starred=body.starred, note=body.note)
    return json_response(LabRunOut.of(run))


@lab_router.post(
    "/runs/{runId}/adopt",
    operation_id="adoptLabResult",
    response_model=WorkflowResponse,
    responses=WRITE,
    summary="Use this one: the result becomes the workflow's next refinement iteration",
)
def adopt_result(request: Request, run_id: RunId, body: AdoptRequest, lab: LabDep, principal: PrincipalDep) -> Response:
    workflow = lab.adopt(user_id=principal.user_id, run_id=run_id, model=body.model, workflow_id=body.workflow_id)
    return json_response(workflow_view(request, workflow))


@lab_router.post(
    "/runs/{runId}/start-workflow",
    status_code=201,
    operation_id="startWorkflowFromLabResult",
    response_model=WorkflowResponse,
    responses=WRITE,
    summary="A new workflow from the run's brief, with this result as its first iteration",
)
def start_workflow(
    request: Request, run_id: RunId, body: StartWorkflowRequest, lab: LabDep, principal: PrincipalDep
) -> Response:
    workflow = lab.start_workflow(user_id=principal.user_id, run_id=run_id, model=body.model, title=body.title)
    return json_response(workflow_view(request, workflow), 201)
