"""Prompt Lab persistence: runs, frame comparisons and video variation sets, each per user, newest first."""

from __future__ import annotations

import re
from typing import TypeVar

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database

from services.core.errors import ForbiddenError, NotFoundError
from services.lab.domain import FrameComparison, LabResult, LabRun, VideoVariation, VideoVariationSet
from services.workflows.domain import CamelModel

LAB_RUNS, FRAME_COMPARISONS, VIDEO_VARIATIONS = "lab_runs", "lab_frame_comparisons", "lab_video_variations"
SEARCHED_FIELDS = ("title", "brief", "additionalInfo", "models", "results.refinedPrompt", "results.note")
M = TypeVar("M", bound=CamelModel)


def ensure_lab_indexes(db: Database) -> None:
    """History lists a user's records newest first; variation sets are found by their job."""
    for name in (LAB_RUNS, FRAME_COMPARISONS, VIDEO_VARIATIONS):
        db[name].create_indexes([IndexModel([("userId", ASCENDING), ("createdAt", DESCENDING)], name="userId_createdAt")])
    db[VIDEO_VARIATIONS].create_indexes([IndexModel([("jobId", ASCENDING)], name="jobId")])


def _document(record: CamelModel) -> dict:
    document = record.to_document()
    document["_id"] = document.pop("id")
    return document


def _record(kind: type[M], document: dict) -> M:
    document = dict(document)
    document["id"] = document.pop("_id")
    return kind.model_validate(document)


class LabRepository:
    """The three lab collections; every read checks the record belongs to the caller."""

    def __init__(self, db: Database) -> None:
        self.runs: Collection = db[LAB_RUNS]
        self.comparisons: Collection = db[FRAME_COMPARISONS]
        self.variations: Collection = db[VIDEO_VARIATIONS]

    # ---- runs -----------------------------------------------------------------------------------

    def insert_run(self, run: LabRun) -> None:
        """Store a finished run."""
        self.runs.insert_one(_document(run))

    def get_run(self, *, user_id: str, run_id: str) -> LabRun:
        """The user's run; another user's → ForbiddenError, unknown → NotFoundError."""
        return _owned(LabRun, self.runs.find_one({"_id": run_id}), user_id, f"Lab run {run_id}")

    def list_runs(
        self, *, user_id: str, text: str | None = None, limit: int = 50, skip: int = 0
    ) -> tuple[list[LabRun], int]:
        """The user's runs newest first, optionally only those mentioning text (case-insensitive); and the total."""
        query: dict = {"userId": user_id}
        if text and text.strip():
            pattern = {"$regex": re.escape(text.strip()), "$options": "i"}
            query["$or"] = [{field: pattern} for field in SEARCHED_FIELDS]
        total = self.runs.count_documents(query)
        cursor = self.runs.find(query).sort([("createdAt", DESCENDING), ("_id", DESCENDING)]).skip(skip).limit(limit)
        return [_record(LabRun, d) for d in cursor], total

    def update_result(self, run: LabRun, result: LabResult) -> None:
        """Save one result's rating or adoption (results are addressed by model, unique within a run)."""
        index = run.results.index(next(r for r in run.results if r.model == result.model))
        self.runs.update_one({"_id": run.id}, {"$set": {f"results.{index}": result.to_document()}})

    # ---- frame comparisons ------------------------------------------------------------------------

    def insert_comparison(self, comparison: FrameComparison) -> None:
        """Store a finished comparison."""
        self.comparisons.insert_one(_document(comparison))

    def get_comparison(self, *, user_id: str, comparison_id: str) -> FrameComparison:
        """The user's comparison."""
        found = self.comparisons.find_one({"_id": comparison_id})
        return _owned(FrameComparison, found, user_id, f"Frame comparison {comparison_id}")

    def mark_adopted(self, comparison: FrameComparison, model: str) -> None:
        """Record which candidate became the frame's next version."""
        self.comparisons.update_one({"_id": comparison.id}, {"$set": {"adoptedModel": model}})

    def list_comparisons(self, *, user_id: str, workflow_id: str | None = None, limit: int = 20) -> list[FrameComparison]:
        """The user's comparisons newest first (of one workflow when given)."""
        query: dict = {"userId": user_id}
        if workflow_id:
            query["workflowId"] = workflow_id
        cursor = self.comparisons.find(query).sort([("createdAt", DESCENDING), ("_id", DESCENDING)]).limit(limit)
        return [_record(FrameComparison, d) for d in cursor]

    # ---- video variation sets ------------------------------------------------------------------------

    def insert_variation_set(self, variation_set: VideoVariationSet) -> None:
        """Store a requested set (before its job runs)."""
        self.variations.insert_one(_document(variation_set))

    def get_variation_set(self, *, user_id: str, set_id: str) -> VideoVariationSet:
        """The user's variation set."""
        found = self.variations.find_one({"_id": set_id})
        return _owned(VideoVariationSet, found, user_id, f"Video variation set {set_id}")

    def variation_set_for_job(self, job_id: str) -> VideoVariationSet | None:
        """The set a job renders."""
        found = self.variations.find_one({"jobId": job_id})
        return _record(VideoVariationSet, found) if found else None

    def save_variation(self, set_id: str, variation: VideoVariation) -> None:
        """Store one variation's outcome as soon as it exists."""
        self.variations.update_one({"_id": set_id}, {"$set": {f"variations.{variation.index}": variation.to_document()}})

    def mark_picked(self, set_id: str, index: int) -> None:
        """Record which variation became the workflow's video."""
        self.variations.update_one({"_id": set_id}, {"$set": {"pickedIndex": index}})

    def list_variation_sets(
        self, *, user_id: str, workflow_id: str | None = None, limit: int = 20
    ) -> list[VideoVariationSet]:
        """The user's variation sets newest first (of one workflow when given)."""
        query: dict = {"userId": user_id}
        if workflow_id:
            query["workflowId"] = workflow_id
        cursor = self.variations.find(query).sort([("createdAt", DESCENDING), ("_id", DESCENDING)]).limit(limit)
        return [_record(VideoVariationSet, d) for d in cursor]


def _owned(kind: type[M], document: dict | None, user_id: str, what: str) -> M:
    if document is None:
        raise NotFoundError(f"{what} was not found.")
    if document.get("userId") != user_id:
        raise ForbiddenError(f"{what} belongs to another user.")
    return _record(kind, document)
