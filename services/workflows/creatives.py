"""Creatives: a user's finished videos and approved frames, filtered by campaign and paged in the database.

Read-only queries over `video_workflows`, always scoped to one user; totals are counted by the database, so the
headings they feed are true however many workflows the user has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pymongo import ASCENDING
from pymongo.database import Database

from services.core.validation import check_page
from services.workflows.domain import VideoOutput
from services.workflows.listing import key_range
from services.workflows.repository import WORKFLOWS

T = TypeVar("T")


@dataclass(frozen=True)
class CreativesPage(Generic[T]):
    """One page of creatives and how many there are in all."""

    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the total fills (at least one)."""
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class VideoCreative:
    """A finished video, with the first frame as its thumbnail."""

    workflow_id: str
    title: str
    campaign_id: str | None
    video: VideoOutput
    thumbnail_key: str | None
    example: bool = False  # a bundled example (services/examples), not the user's own work


@dataclass(frozen=True)
class FrameCreative:
    """An approved frame, numbered for people by its position in its workflow."""

    workflow_id: str
    title: str
    campaign_id: str | None
    image_key: str
    position: int
    frame_count: int
    scene: str
    generated_at: datetime


class CreativesQuery:
    """The user's finished videos and approved frames, newest activity first."""

    def __init__(self, db: Database) -> None:
        self.collection = db[WORKFLOWS]

    def finished_videos(
        self, *, user_id: str, campaign_id: str | None = None, page: int = 1, page_size: int = 12
    ) -> CreativesPage[VideoCreative]:
        """A page of the user's workflows that have a video, and how many there are."""
        check_page(page, page_size)
        key, owned = key_range(user_id, campaign_id)  # the list's own index: live workflows, newest activity first
        query = {**owned, "videoOutput": {"$ne": None}}
        fields = {"title": 1, "campaignId": 1, "videoOutput": 1, "generatedFrames.imageKey": 1, "example": 1}
        cursor = self.collection.find(query, fields).sort(key, ASCENDING).skip((page - 1) * page_size).limit(page_size)
        items = [
            VideoCreative(
                workflow_id=d["_id"],
                title=d["title"],
                campaign_id=d.get("campaignId"),
                video=VideoOutput.model_validate(d["videoOutput"]),
                thumbnail_key=(d.get("generatedFrames") or [{}])[0].get("imageKey"),
                example=bool(d.get("example")),
            )
            for d in cursor
        ]
        return CreativesPage(items, self.collection.count_documents(query), page, page_size)

    def approved_frames(
        self, *, user_id: str, campaign_id: str | None = None, page: int = 1, page_size: int = 24
    ) -> CreativesPage[FrameCreative]:
        """A page of the approved frames across the user's workflows, and how many there are."""
        check_page(page, page_size)
        key, owned = key_range(user_id, campaign_id)
        pipeline: list[dict[str, Any]] = [
            {"$match": {**owned, "generatedFrames.approved": True}},
            {"$sort": {key: 1}},
            {
                "$project": {
                    "title": 1,
                    "campaignId": 1,
                    "generatedFrames": 1,
                    "frameCount": {"$size": "$generatedFrames"},
                }
            },
            {"$unwind": {"path": "$generatedFrames", "includeArrayIndex": "position"}},
            {"$match": {"generatedFrames.approved": True}},
            {
                "$facet": {
                    "items": [{"$skip": (page - 1) * page_size}, {"$limit": page_size}],
                    "total": [{"$count": "n"}],
                }
            },
        ]
        [result] = list(self.collection.aggregate(pipeline))
        items = [
            FrameCreative(
                workflow_id=d["_id"],
                title=d["title"],
                campaign_id=d.get("campaignId"),
                image_key=d["generatedFrames"]["imageKey"],
                position=int(d["position"]) + 1,
                frame_count=int(d["frameCount"]),
                scene=d["generatedFrames"].get("scene", ""),
                generated_at=d["generatedFrames"]["generatedAt"],
            )
            for d in result["items"]
        ]
        total = result["total"][0]["n"] if result["total"] else 0
        return CreativesPage(items, total, page, page_size)
