"""A scripted remote provider whose predictions live in MongoDB, so they outlive a killed worker.

It behaves like a prediction API: `start_*` creates a prediction (counted, so tests can prove no
duplicate was paid for) and `await_*` polls it until its scripted duration has passed, then
returns a real PNG or MP4 from the offline renderers.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pymongo.database import Database

from services.providers.base import FrameRequest, FrameResult, VideoRequest, VideoResult
from services.providers.offline_animatic import OfflineAnimaticRenderer
from services.providers.offline_refiner import OfflineRefiner
from services.providers.offline_storyboard import OfflineStoryboardRenderer
from services.providers.registry import ModelRegistry, ModelRole
from services.providers.resumable import ProgressCallback

PREDICTIONS = "scripted_provider_predictions"


class MongoScriptedPredictions:
    """Frames and videos as remote predictions that take `seconds` each."""

    def __init__(self, db: Database, *, seconds: float, poll_every: float = 0.05) -> None:
        self.collection = db[PREDICTIONS]
        self.seconds = seconds
        self.poll_every = poll_every

    def _create(self, kind: str, workflow_id: str, part: str, intent: str) -> str:
        prediction_id = uuid.uuid4().hex
        self.collection.insert_one({"_id": prediction_id, "kind": kind, "workflowId": workflow_id, "part": part,
                                    "intent": intent, "createdAt": time.time(), "status": "processing"})
        return prediction_id

    def find_prediction(self, intent: str) -> str | None:
        prediction = self.collection.find_one({"intent": intent})
        return prediction["_id"] if prediction else None

    def _await(self, prediction_id: str, on_progress: ProgressCallback | None = None) -> None:
        prediction = self.collection.find_one({"_id": prediction_id})
        if prediction is None:
            raise LookupError(f"unknown prediction {prediction_id}")
        while (elapsed := time.time() - prediction["createdAt"]) < self.seconds:
            if on_progress:
                on_progress(int(100 * elapsed / self.seconds), "processing")
            time.sleep(self.poll_every)
        self.collection.update_one({"_id": prediction_id}, {"$set": {"status": "succeeded",
                                                                     "completedAt": datetime.now(UTC)}})

    def start_frame(self, request: FrameRequest, *, intent: str) -> str:
        return self._create("frame", request.workflow_id, f"frame-{request.frame_number}", intent)

    def await_frame(self, prediction_id: str, request: FrameRequest, on_progress: ProgressCallback) -> FrameResult:
        self._await(prediction_id, on_progress)
        return OfflineStoryboardRenderer().generate_frame(request)

    def generate_frame(self, request: FrameRequest) -> FrameResult:
        prediction_id = self.start_frame(request, intent=uuid.uuid4().hex)
        return self.await_frame(prediction_id, request, lambda percent, message: None)

    def start_video(self, request: VideoRequest, *, intent: str) -> str:
        return self._create("video", request.workflow_id, "video", intent)

    def await_video(self, prediction_id: str, request: VideoRequest, output_path: Path,
                    on_progress: ProgressCallback) -> VideoResult:
        self._await(prediction_id, on_progress)
        return OfflineAnimaticRenderer().generate_video(request, output_path)

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        prediction_id = self.start_video(request, intent=uuid.uuid4().hex)
        return self.await_video(prediction_id, request, output_path, lambda percent, message: None)

    def creates(self, workflow_id: str) -> dict[str, int]:
        """How many predictions were created per part of a workflow."""
        counts: dict[str, int] = {}
        for prediction in self.collection.find({"workflowId": workflow_id}):
            counts[prediction["part"]] = counts.get(prediction["part"], 0) + 1
        return counts


def registry_with(predictions: MongoScriptedPredictions) -> ModelRegistry:
    """Offline refiner; frames and video served by the scripted remote provider."""
    registry = ModelRegistry()
    registry.register(ModelRole.REFINEMENT, "gpt-4o", provider_name="offline", implementation=OfflineRefiner())
    registry.register(ModelRole.FRAMES, "stable-diffusion-xl", provider_name="scripted", implementation=predictions)
    registry.register(ModelRole.VIDEO, "veo-3", provider_name="scripted", implementation=predictions)
    return registry
