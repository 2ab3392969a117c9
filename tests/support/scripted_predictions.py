"""A scripted remote provider whose predictions live in MongoDB, so they outlive a killed worker.

It behaves like a prediction API (create, then poll until done) and goes through the same
`resumable_prediction` path as the Replicate adapter. Creates are counted, so tests can prove
that no prediction was paid for twice; results are real PNGs and MP4s from the offline renderers.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from pymongo.database import Database

from services.core.errors import JobCanceledError
from services.core.job_scope import cancel_requested, progress, resumable_prediction
from services.providers.base import FrameRequest, FrameResult, VideoRequest, VideoResult
from services.providers.offline_animatic import OfflineAnimaticRenderer
from services.providers.offline_refiner import OfflineRefiner
from services.providers.offline_storyboard import OfflineStoryboardRenderer
from services.providers.registry import ModelRegistry, ModelRole

PREDICTIONS = "scripted_provider_predictions"


class MongoScriptedPredictions:
    """Frames and videos as remote predictions that take `seconds` each."""

    def __init__(self, db: Database, *, seconds: float, poll_every: float = 0.05) -> None:
        self.collection = db[PREDICTIONS]
        self.seconds = seconds
        self.poll_every = poll_every

    def _prediction(self, workflow_id: str, part: str, model_input: str) -> str:
        def create(intent: str) -> str:
            prediction_id = uuid.uuid4().hex
            self.collection.insert_one(
                {
                    "_id": prediction_id,
                    "workflowId": workflow_id,
                    "part": part,
                    "input": model_input,
                    "createdAt": time.time(),
                }
            )
            return prediction_id

        def find() -> str | None:  # like listing recent predictions and matching the input
            found = self.collection.find_one({"workflowId": workflow_id, "input": model_input})
            return found["_id"] if found else None

        prediction_id = resumable_prediction(create=create, find=find)
        created_at = self.collection.find_one({"_id": prediction_id})["createdAt"]
        while (elapsed := time.time() - created_at) < self.seconds:
            if cancel_requested():
                self.collection.update_one({"_id": prediction_id}, {"$set": {"canceled": True}})
                raise JobCanceledError(f"prediction {prediction_id} was canceled")
            progress(int(100 * elapsed / self.seconds), "processing")
            time.sleep(self.poll_every)
        return prediction_id

    def generate_frame(self, request: FrameRequest) -> FrameResult:
        self._prediction(request.workflow_id, f"frame-{request.frame_number}", f"{request.prompt}|{request.seed}")
        return OfflineStoryboardRenderer().generate_frame(request)

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        self._prediction(request.workflow_id, "video", request.prompt)
        return OfflineAnimaticRenderer().generate_video(request, output_path)

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
