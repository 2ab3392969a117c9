"""Prompt Lab frames A/B and video variations: each request counts as one frame or one video generation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api.deps import PrincipalDep, limit_per_ip
from api.lab_schemas import (
    AdoptFrameRequest,
    FrameComparisonOut,
    FrameComparisonRequest,
    PickVideoRequest,
    VideoVariationSetOut,
    VideoVariationsRequest,
)
from api.routes.lab import READ, WRITE, LabDep
from api.routes.workflow_common import json_response, media_base, workflow_view
from api.schemas import WorkflowResponse
from services.lab.service import PromptLab
from services.lab.variations import LabVariations, VariationSpec

variations_router = APIRouter(prefix="/prompt-lab", tags=["prompt lab"], dependencies=[Depends(limit_per_ip)])
ComparisonId = Annotated[str, Path(alias="comparisonId", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
SetId = Annotated[str, Path(alias="setId", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _variations(lab: PromptLab) -> LabVariations:
    assert lab.variations is not None, "build_lab wires the variations"
    return lab.variations


@variations_router.post(
    "/frame-comparisons",
    status_code=201,
    operation_id="compareFrameModels",
    response_model=FrameComparisonOut,
    responses=WRITE,
    summary="Render one frame's prompt on two frame models with the same seed (counts as one frame generation)",
)
def compare_frame(request: Request, body: FrameComparisonRequest, lab: LabDep, principal: PrincipalDep) -> Response:
    comparison = _variations(lab).compare_frame(  # one frame generation, charged once the comparison passes its checks
        user_id=principal.user_id,
        workflow_id=body.workflow_id,
        frame_number=body.frame_number,
        models=body.models,
        key_id=principal.key_id,
    )
    return json_response(FrameComparisonOut.of(comparison, media_base=media_base(request)), 201)


@variations_router.get(
    "/frame-comparisons/{comparisonId}",
    operation_id="getFrameComparison",
    response_model=FrameComparisonOut,
    responses=READ,
    summary="One frame comparison",
)
def get_comparison(request: Request, comparison_id: ComparisonId, lab: LabDep, principal: PrincipalDep) -> Response:
    comparison = _variations(lab).get_comparison(user_id=principal.user_id, comparison_id=comparison_id)
    return json_response(FrameComparisonOut.of(comparison, media_base=media_base(request)))


@variations_router.post(
    "/frame-comparisons/{comparisonId}/adopt",
    operation_id="adoptFrameCandidate",
    response_model=WorkflowResponse,
    responses=WRITE,
    summary="Adopt one candidate as the frame's next version (the current one joins its history)",
)
def adopt_frame(
    request: Request, comparison_id: ComparisonId, body: AdoptFrameRequest, lab: LabDep, principal: PrincipalDep
) -> Response:
    workflow = _variations(lab).adopt_frame(user_id=principal.user_id, comparison_id=comparison_id, model=body.model)
    return json_response(workflow_view(request, workflow))


@variations_router.post(
    "/video-variations",
    status_code=202,
    operation_id="renderVideoVariations",
    response_model=VideoVariationSetOut,
    responses=WRITE,
    summary="Render 1–2 videos from the approved frames with another model, seed or fps (counts as one video)",
)
def render_variations(request: Request, body: VideoVariationsRequest, lab: LabDep, principal: PrincipalDep) -> Response:
    specs = [VariationSpec(model=v.model, seed=v.seed, fps=v.fps, duration=v.duration) for v in body.variations]
    variation_set = _variations(lab).request_video_variations(  # one video, charged once the request passes its checks
        user_id=principal.user_id, workflow_id=body.workflow_id, specs=specs, key_id=principal.key_id
    )
    done = all(v.status != "QUEUED" for v in variation_set.variations)
    return json_response(VideoVariationSetOut.of(variation_set, media_base=media_base(request)), 200 if done else 202)


@variations_router.get(
    "/video-variations/{setId}",
    operation_id="getVideoVariations",
    response_model=VideoVariationSetOut,
    responses=READ,
    summary="A variation set: each variation's status, video URL, cost and render time",
)
def get_variations(request: Request, set_id: SetId, lab: LabDep, principal: PrincipalDep) -> Response:
    variation_set = _variations(lab).get_variation_set(user_id=principal.user_id, set_id=set_id)
    return json_response(VideoVariationSetOut.of(variation_set, media_base=media_base(request)))


@variations_router.post(
    "/video-variations/{setId}/pick",
    operation_id="pickVideoVariation",
    response_model=WorkflowResponse,
    responses=WRITE,
    summary="Make one variation the workflow's video; every variation is kept",
)
def pick_variation(
    request: Request, set_id: SetId, body: PickVideoRequest, lab: LabDep, principal: PrincipalDep
) -> Response:
    workflow = _variations(lab).pick_video(user_id=principal.user_id, set_id=set_id, index=body.index)
    return json_response(workflow_view(request, workflow))
