"""Incoming Replicate webhooks: verified, deduplicated, order-tolerant, captured once.

Replicate calls back with Standard Webhooks signatures. Each delivery is verified on its raw
bytes, then applied with ONE conditional upsert of the prediction's record, no read first: it
matches only a record that does not list this `webhook-id` yet and is at an earlier stage, sets
status/output and appends the id. A new prediction is inserted by the upsert; a repeat, or an event
older than what is stored, matches nothing and its upsert collides with the record's _id, so it
changes nothing: a `completed` event that arrives before `start` is kept, and the late `start`
changes nothing. Only on that collision a second write notes the late event's id, to tell a repeat
(acknowledged and ignored) from a first late delivery.

Deduplication rides the unique _id index of the prediction's record: a webhook-id is signed together
with its body, so it always names the same prediction, and within that one record the filter plus
MongoDB's atomic single-document update keep each id once. A unique multikey index on the recorded
ids would say the same again, and cost about a fifth of the ingestion rate on SecantusDB.

The output of a succeeded prediction is captured exactly once, since Replicate deletes outputs after an hour.
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

from services.webhooks.signing import WebhookVerificationError, signing_key, verify

log = logging.getLogger(__name__)
WEBHOOK_EVENTS = "webhook_events"  # where deliveries were recorded before they became part of the prediction
PROVIDER_PREDICTIONS = "provider_predictions"
WEBHOOK_IDS = "webhookIds"  # the id of every delivery received for the prediction
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
        self.predictions = db[PROVIDER_PREDICTIONS]
        self.key = signing_key(secret)
        self.capture = capture
        self.clock = clock
        self.now_seconds = now_seconds

    def receive(self, headers: dict[str, str], body: bytes) -> WebhookOutcome:
        """Record one delivery; raises WebhookVerificationError (answer 401) for a bad signature or timestamp.

        Capturing the output is left to `capture` (the route runs it after answering, to answer fast).
        """
        verified = verify(key=self.key, headers=headers, body=body, now=self.now_seconds())
        prediction = _parse(body)
        status = prediction["status"]
        rank = STATUS_RANK[status]
        fields = {
            "status": status,
            "rank": rank,
            "output": prediction.get("output"),
            "error": prediction.get("error"),
            "updatedAt": self.clock(),
        }
        try:
            self.predictions.update_one(
                {"_id": prediction["id"], WEBHOOK_IDS: {"$ne": verified.message_id}, "rank": {"$lt": rank}},
                {"$set": fields, "$push": {WEBHOOK_IDS: verified.message_id}},
                upsert=True,
            )
        except DuplicateKeyError:  # the record exists and lists this delivery already, or is at this stage or later
            return self._not_applied(verified.message_id, prediction)
        output = prediction.get("output")
        urls = [output] if isinstance(output, str) else [u for u in (output or []) if isinstance(u, str)]
        return WebhookOutcome(False, True, prediction["id"], status, tuple(urls))

    def _not_applied(self, message_id: str, prediction: dict[str, Any]) -> WebhookOutcome:
        # Only a late or repeated delivery gets here: note its id, so a repeat of it is told apart from it.
        noted = self.predictions.update_one(
            {"_id": prediction["id"], WEBHOOK_IDS: {"$ne": message_id}}, {"$push": {WEBHOOK_IDS: message_id}}
        )
        return WebhookOutcome(noted.modified_count == 0, False, prediction["id"], prediction["status"])

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
