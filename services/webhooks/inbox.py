"""Incoming Replicate webhooks: verified, deduplicated, order-tolerant, captured once.

Replicate calls back with Standard Webhooks signatures. Each delivery is verified on its raw
bytes, recorded under its `webhook-id` (a repeat is acknowledged and ignored), and merged into
the prediction's record only if it moves the prediction forward: a `completed` event that
arrives before `start` is kept, and the late `start` changes nothing. The output of a succeeded
prediction is captured exactly once, since Replicate deletes outputs after an hour.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.webhooks.signing import WebhookVerificationError, verify

log = logging.getLogger(__name__)
WEBHOOK_EVENTS = "webhook_events"
PROVIDER_PREDICTIONS = "provider_predictions"
# `aborted`: Replicate gave up before the prediction started (its deadline passed); terminal like the others.
STATUS_RANK = {"starting": 0, "processing": 1, "succeeded": 2, "failed": 2, "canceled": 2, "aborted": 2}
Capture = Callable[[str, list[str]], str]  # (prediction id, output URLs) -> where the output was stored


@dataclass(frozen=True)
class WebhookOutcome:
    duplicate: bool
    changed: bool
    prediction_id: str
    status: str
    output_urls: tuple[str, ...] = ()

    @property
    def capture_due(self) -> bool:
        """True when this delivery reported a new success whose output should be captured."""
        return self.changed and self.status == "succeeded"


class WebhookInbox:
    """Takes Replicate webhook deliveries and keeps `provider_predictions` current."""

    def __init__(
        self, db: Database, *, secret: str, capture: Capture, clock: Callable[[], datetime], now_seconds: Callable[[], float]
    ) -> None:
        self.events = db[WEBHOOK_EVENTS]
        self.predictions = db[PROVIDER_PREDICTIONS]
        self.secret = secret
        self.capture = capture
        self.clock = clock
        self.now_seconds = now_seconds

    def receive(self, headers: dict[str, str], body: bytes) -> WebhookOutcome:
        """Record one delivery; raises WebhookVerificationError (answer 401) for a bad signature or timestamp.

        Capturing the output is left to `capture` (the route runs it after answering, to answer fast).
        """
        verified = verify(secret=self.secret, headers=headers, body=body, now=self.now_seconds())
        prediction = _parse(body)
        try:
            self.events.insert_one(
                {
                    "_id": verified.message_id,
                    "predictionId": prediction["id"],
                    "status": prediction["status"],
                    "receivedAt": self.clock(),
                }
            )
        except DuplicateKeyError:
            return WebhookOutcome(True, False, prediction["id"], prediction["status"])
        changed = self._merge(prediction)
        output = prediction.get("output")
        urls = [output] if isinstance(output, str) else [u for u in (output or []) if isinstance(u, str)]
        return WebhookOutcome(False, changed, prediction["id"], prediction["status"], tuple(urls))

    def _merge(self, prediction: dict[str, Any]) -> bool:
        rank = STATUS_RANK[prediction["status"]]
        update = {
            "$set": {
                "status": prediction["status"],
                "rank": rank,
                "output": prediction.get("output"),
                "error": prediction.get("error"),
                "updatedAt": self.clock(),
            }
        }
        try:
            result = self.predictions.update_one({"_id": prediction["id"], "rank": {"$lt": rank}}, update)
            if result.modified_count:
                return True
            self.predictions.insert_one({"_id": prediction["id"], **update["$set"]})
            return True
        except DuplicateKeyError:
            return False  # the record exists at the same or a later stage: an old or repeated event

    def capture_output(self, outcome: WebhookOutcome) -> str | None:
        """Download a succeeded prediction's output once; None when already captured or when it failed (logged)."""
        claimed = self.predictions.find_one_and_update(
            {"_id": outcome.prediction_id, "capture": None},
            {"$set": {"capture": "capturing"}},
            return_document=ReturnDocument.AFTER,
        )
        if claimed is None:
            return None  # captured (or being captured) already
        try:
            stored = self.capture(outcome.prediction_id, list(outcome.output_urls))
        except Exception:  # noqa: BLE001 - released: a later delivery, or the worker's own poll, captures it
            log.warning("capturing the output of prediction %s failed", outcome.prediction_id, exc_info=True)
            self.predictions.update_one({"_id": outcome.prediction_id}, {"$set": {"capture": None}})
            return None
        self.predictions.update_one({"_id": outcome.prediction_id}, {"$set": {"capture": stored}})
        return stored

    def prediction(self, prediction_id: str) -> dict[str, Any] | None:
        """What the webhooks have told us about a prediction so far."""
        return self.predictions.find_one({"_id": prediction_id})


def _parse(body: bytes) -> dict[str, Any]:
    try:
        prediction = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("The webhook body is not JSON.") from None
    if (
        not isinstance(prediction, dict)
        or not isinstance(prediction.get("id"), str)
        or prediction.get("status") not in STATUS_RANK
    ):
        raise WebhookVerificationError("The webhook body is not a Replicate prediction.")
    return prediction
