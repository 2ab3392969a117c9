"""Review links, stakeholder comments and the public view a link shows. Pure data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from services.workflows.domain import CamelModel


class ReviewScope(StrEnum):
    STORYBOARD = "storyboard"
    VIDEO = "video"
    BOTH = "both"

    @property
    def shows_frames(self) -> bool:
        """The storyboard is part of the link."""
        return self in (ReviewScope.STORYBOARD, ReviewScope.BOTH)

    @property
    def shows_video(self) -> bool:
        """The video is part of the link."""
        return self in (ReviewScope.VIDEO, ReviewScope.BOTH)


class ReviewPermission(StrEnum):
    VIEW = "view"
    REVIEW = "review"  # view and review: decisions and comments


class Decision(StrEnum):
    APPROVE = "approve"
    CHANGES = "changes"  # request changes (a comment is required)
    COMMENT = "comment"  # a video comment


class ReviewLink(CamelModel):
    """A shareable link to one workflow; the token itself is never stored, only its hash."""

    id: str
    workflow_id: str
    owner_id: str
    token_hash: str
    scope: ReviewScope
    permission: ReviewPermission
    passcode_hash: str | None = None  # scrypt, with its salt and parameters
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None = None

    def status(self, now: datetime) -> str:
        """active, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


class ReviewComment(CamelModel):
    """One stakeholder decision or comment, by frame (or on the video)."""

    id: str
    link_id: str
    workflow_id: str
    reviewer_name: str
    frame_number: int | None = None  # None: a comment on the video
    frame_version: int | None = None  # the version of the frame the reviewer saw
    decision: Decision
    body: str = ""
    at_seconds: float | None = None  # where in the video, when given
    created_at: datetime


class ReviewFrame(CamelModel):
    """A frame as a reviewer sees it: its place, scene label and image."""

    frame_number: int
    position: int  # 1-based, for people
    scene: str
    version: int
    image_key: str


class ReviewView(CamelModel):
    """What a review link shows: never the owner's name, email, costs or other workflows."""

    link_id: str
    workflow_id: str
    scope: ReviewScope
    permission: ReviewPermission
    title: str
    brief: str  # a short excerpt of the initial prompt
    frames: list[ReviewFrame]
    video_key: str | None = None
    video_seconds: int | None = None
    expires_at: datetime
    comments: list[ReviewComment]  # made through this link
