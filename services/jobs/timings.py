"""How long each model took, per run: the ETA of models that report no progress comes from their own history."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import datetime

from pymongo import DESCENDING, IndexModel
from pymongo.database import Database

MODEL_TIMINGS = "model_timings"
HISTORY = 20  # the median of the model's last 20 runs of similar length
SIMILAR = 0.25  # runs whose clip length is within 25% of the asked one are "of similar length"


def ensure_timing_indexes(db: Database) -> None:
    """Newest runs of a model first."""
    db[MODEL_TIMINGS].create_indexes([IndexModel([("model", 1), ("at", DESCENDING)], name="model_at")])


class ModelTimings:
    """Records each finished provider run's wall time and answers the expected time of the next one."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime]) -> None:
        self.collection = db[MODEL_TIMINGS]
        self.clock = clock

    def record(self, *, model: str, seconds: float, took: float) -> None:
        """One run of `model` making `seconds` of output took `took` seconds."""
        self.collection.insert_one({"model": model, "seconds": seconds, "took": took, "at": self.clock()})

    def expected(self, *, model: str, seconds: float, default: float) -> float:
        """The median of the model's last 20 runs of similar length; `default` until there is such history."""
        similar = {"$gte": seconds * (1 - SIMILAR), "$lte": seconds * (1 + SIMILAR)}
        runs = self.collection.find({"model": model, "seconds": similar}, {"took": 1}).sort("at", DESCENDING).limit(HISTORY)
        took = [run["took"] for run in runs]
        return float(statistics.median(took)) if took else default
