"""Bodies of the review-link API: the owner's links and comments, and what a link holder sees and sends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt

from api.schemas import RequestModel, ResponseModel, Text
from services.review.domain import ReviewComment, ReviewLink, ReviewView


class CreateReviewLinkRequest(RequestModel):
    scope: Literal["storyboard", "video", "both"] = "both"
    permission: Literal["view", "review"] = "review"
    expires_in_days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    passcode: Annotated[str, Field(max_length=200)] | None = None


class ReviewLinkOut(ResponseModel):
    id: str
    workflow_id: str
    scope: str
    permission: str
    has_passcode: bool
    status: str  # active, expired or revoked
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, link: ReviewLink, now: datetime) -> ReviewLinkOut:
        """The owner's view of a link: never its token or hashes."""
        data = link.model_dump(
            include={"id", "workflow_id", "scope", "permission", "expires_at", "created_at", "revoked_at"}
        )
        return cls.model_validate({**data, "has_passcode": link.passcode_hash is not None, "status": link.status(now)})


class ReviewLinkCreatedOut(ReviewLinkOut):
    token: str = Field(description="The link's secret. Shown only in this response.")
    url: str = Field(description="The public review page for this link. Shown only in this response.")


class ReviewLinkListOut(ResponseModel):
    items: list[ReviewLinkOut]


class ReviewCommentOut(ResponseModel):
    id: str
    link_id: str
    reviewer_name: str
    frame_number: int | None = None
    frame_version: int | None = None
    decision: str
    comment: str
    at_seconds: float | None = None
    created_at: datetime

    @classmethod
    def of(cls, comment: ReviewComment) -> ReviewCommentOut:
        """A stakeholder comment."""
        return cls.model_validate({**comment.model_dump(exclude={"body", "workflow_id"}), "comment": comment.body})


class ReviewCommentListOut(ResponseModel):
    items: list[ReviewCommentOut]


class AddReviewCommentRequest(RequestModel):
    reviewer_name: Annotated[str, Field(min_length=1, max_length=200)]
    frame_number: Annotated[StrictInt, Field(ge=0, le=24)] | None = None
    decision: Literal["approve", "changes", "comment"]
    comment: Text | None = None
    at_seconds: Annotated[StrictFloat | StrictInt, Field(ge=0, le=3600)] | None = None


class ReviewFrameOut(ResponseModel):
    frame_number: int
    position: int
    scene: str
    version: int
    image_url: str


class PublicCommentOut(ResponseModel):
    reviewer_name: str
    frame_number: int | None = None
    decision: str
    comment: str
    at_seconds: float | None = None
    created_at: datetime


class ReviewViewOut(ResponseModel):
    """What a link holder sees: title, a short brief, frames and video by signed URL; no owner, no costs."""

    scope: str
    permission: str
    title: str
    brief: str
    frames: list[ReviewFrameOut]
    video_url: str | None = None
    video_seconds: int | None = None
    expires_at: datetime
    comments: list[PublicCommentOut]

    @classmethod
    def of(cls, view: ReviewView, sign: Callable[[str], str]) -> ReviewViewOut:
        """The public view, each media key replaced by a signed, expiring URL of that one file."""
        frames = [{**f.model_dump(exclude={"image_key"}), "image_url": sign(f.image_key)} for f in view.frames]
        comments = [{**c.model_dump(exclude={"body"}), "comment": c.body} for c in view.comments]
        return cls.model_validate(
            {
                **view.model_dump(include={"scope", "permission", "title", "brief", "video_seconds", "expires_at"}),
                "frames": frames,
                "video_url": sign(view.video_key) if view.video_key else None,
                "comments": comments,
            }
        )
