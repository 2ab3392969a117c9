"""Review links: the owner's endpoints (create, list, revoke, comments) and the link holder's (view, comment)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response

from api.deps import PrincipalDep, RuntimeDep, client_ip, limit_per_ip
from api.errors import error_responses
from api.review_schemas import (
    AddReviewCommentRequest,
    CreateReviewLinkRequest,
    ReviewCommentListOut,
    ReviewCommentOut,
    ReviewLinkCreatedOut,
    ReviewLinkListOut,
    ReviewLinkOut,
    ReviewViewOut,
)
from api.routes.workflow_common import WorkflowId, json_response
from services.bootstrap import Runtime
from services.core.clock import utc_now
from services.review.service import ReviewService

owner_router = APIRouter(prefix="/video-workflows", tags=["review links"], dependencies=[Depends(limit_per_ip)])
public_router = APIRouter(prefix="/review", tags=["review links"], dependencies=[Depends(limit_per_ip)])
LinkId = Annotated[str, Path(alias="linkId", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Token = Annotated[str, Header(alias="X-Review-Token", min_length=1, max_length=200, description="The review link's token.")]
Passcode = Annotated[
    str | None, Header(alias="X-Review-Passcode", max_length=200, description="The link's passcode, if it has one.")
]
OWNER = error_responses(401, 403, 404, 413, 422, 429, 503)
PUBLIC = error_responses(403, 404, 410, 413, 422, 429, 503)
REVIEW_PARAM = "review"  # the UI routes /?review=<token> to the public review page


async def get_review(runtime: RuntimeDep) -> ReviewService:
    """The runtime's review service."""
    return runtime.review


ReviewDep = Annotated[ReviewService, Depends(get_review)]


def review_page_url(request: Request, runtime: Runtime, token: str) -> str:
    """The public review page of a token: PUBLIC_BASE_URL, or the address this request came to."""
    base = runtime.settings.PUBLIC_BASE_URL or str(request.base_url).removesuffix(request.scope.get("root_path", "") + "/")
    return f"{base.rstrip('/')}/?{REVIEW_PARAM}={token}"


@owner_router.post(
    "/{workflowId}/review-links",
    status_code=201,
    operation_id="createReviewLink",
    response_model=ReviewLinkCreatedOut,
    responses=error_responses(400, 401, 403, 404, 413, 422, 429, 503),
    summary="Share the workflow with a review link (the token and URL are shown only here)",
)
def create_link(
    request: Request,
    workflow_id: WorkflowId,
    body: CreateReviewLinkRequest,
    review: ReviewDep,
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> Response:
    link, token = review.create_link(
        user_id=principal.user_id,
        workflow_id=workflow_id,
        scope=body.scope,
        permission=body.permission,
        expires_in_days=body.expires_in_days,
        passcode=body.passcode,
    )
    public = ReviewLinkOut.of(link, utc_now()).model_dump()
    created = ReviewLinkCreatedOut.model_validate(
        {**public, "token": token, "url": review_page_url(request, runtime, token)}
    )
    return json_response(created, 201)


@owner_router.get(
    "/{workflowId}/review-links",
    operation_id="listReviewLinks",
    response_model=ReviewLinkListOut,
    responses=OWNER,
    summary="The workflow's review links, newest first (never their tokens)",
)
def list_links(workflow_id: WorkflowId, review: ReviewDep, principal: PrincipalDep) -> Response:
    now = utc_now()
    links = review.list_links(user_id=principal.user_id, workflow_id=workflow_id)
    return json_response(ReviewLinkListOut(items=[ReviewLinkOut.of(link, now) for link in links]))


@owner_router.delete(
    "/{workflowId}/review-links/{linkId}",
    operation_id="revokeReviewLink",
    status_code=204,
    response_class=Response,
    responses=OWNER,
    summary="Revoke a review link; it stops working at once",
)
def revoke_link(workflow_id: WorkflowId, link_id: LinkId, review: ReviewDep, principal: PrincipalDep) -> Response:
    review.revoke_link(user_id=principal.user_id, workflow_id=workflow_id, link_id=link_id)
    return Response(status_code=204)


@owner_router.get(
    "/{workflowId}/review-comments",
    operation_id="listReviewComments",
    response_model=ReviewCommentListOut,
    responses=OWNER,
    summary="Every stakeholder decision and comment on the workflow, oldest first",
)
def list_comments(workflow_id: WorkflowId, review: ReviewDep, principal: PrincipalDep) -> Response:
    comments = review.comments_for_owner(user_id=principal.user_id, workflow_id=workflow_id)
    return json_response(ReviewCommentListOut(items=[ReviewCommentOut.of(c) for c in comments]))


@public_router.get(
    "",
    operation_id="openReview",
    response_model=ReviewViewOut,
    responses=PUBLIC,
    summary="What a review link shows (no account: send its token in X-Review-Token); media as signed URLs",
)
def open_review(
    request: Request, token: Token, review: ReviewDep, runtime: RuntimeDep, passcode: Passcode = None
) -> Response:
    view = review.open(token=token, ip=client_ip(request), passcode=passcode)
    ttl = max(1, min(runtime.settings.MEDIA_URL_TTL_SECONDS, int((view.expires_at - utc_now()).total_seconds())))
    return json_response(ReviewViewOut.of(view, lambda key: runtime.sign_media_url(key, ttl)))


@public_router.post(
    "/comments",
    status_code=201,
    operation_id="addReviewComment",
    response_model=ReviewCommentOut,
    responses=error_responses(400, 403, 404, 410, 413, 422, 429, 503),
    summary="Approve or request changes on a frame, or comment on the video (view-and-review links)",
)
def add_comment(
    request: Request, body: AddReviewCommentRequest, token: Token, review: ReviewDep, passcode: Passcode = None
) -> Response:
    comment = review.add_comment(
        token=token,
        ip=client_ip(request),
        passcode=passcode,
        reviewer_name=body.reviewer_name,
        frame_number=body.frame_number,
        decision=body.decision,
        body=body.comment,
        at_seconds=float(body.at_seconds) if body.at_seconds is not None else None,
    )
    return json_response(ReviewCommentOut.of(comment), 201)
