"""Incoming Replicate webhooks: signed, deduplicated, tolerant of order, and captured exactly once."""

from __future__ import annotations

import json
import time

import pytest
from pymongo import MongoClient, monitoring
from pymongo.database import Database

from services.core.clock import utc_now
from services.webhooks.inbox import PROVIDER_PREDICTIONS, WEBHOOK_DELIVERIES, WebhookInbox
from services.webhooks.signing import WebhookVerificationError, sign

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = 1_795_500_000


class CaptureRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def __call__(self, prediction_id: str, urls: list[str]) -> str:
        self.calls.append((prediction_id, urls))
        return f"captured/{prediction_id}"


@pytest.fixture
def capture() -> CaptureRecorder:
    return CaptureRecorder()


@pytest.fixture
def inbox(db: Database, capture: CaptureRecorder) -> WebhookInbox:
    return WebhookInbox(db, secret=SECRET, capture=capture, clock=utc_now, now_seconds=lambda: NOW)


def delivery(status: str, *, message_id: str, timestamp: int = NOW, output=None) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"id": "pred-1", "status": status, "output": output, "error": None}).encode()
    signature = sign(secret=SECRET, message_id=message_id, timestamp=timestamp, body=body)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}, body


def test_the_same_completed_event_delivered_three_times_changes_state_once_and_downloads_once(inbox, capture):
    headers, body = delivery("succeeded", message_id="msg-1", output=["https://replicate.delivery/a.png"])
    outcomes = [inbox.receive(headers, body) for _ in range(3)]
    for outcome in outcomes:
        if outcome.capture_due:  # what the route does after answering
            inbox.capture_output(outcome)
    assert [(o.duplicate, o.capture_due) for o in outcomes] == [(False, True), (True, False), (True, False)]
    assert capture.calls == [("pred-1", ["https://replicate.delivery/a.png"])]
    assert inbox.prediction("pred-1")["capture"] == "captured/pred-1"


def test_completed_arriving_before_start_still_ends_completed(inbox, capture):
    completed = inbox.receive(*delivery("succeeded", message_id="msg-2", output="https://replicate.delivery/v.mp4"))
    assert completed.capture_due and inbox.capture_output(completed) == "captured/pred-1"
    late_start = inbox.receive(*delivery("starting", message_id="msg-1"))
    assert not late_start.duplicate and not late_start.capture_due
    assert inbox.prediction("pred-1")["status"] == "succeeded"
    assert len(capture.calls) == 1


def test_start_then_completed_moves_the_prediction_forward(inbox):
    assert not inbox.receive(*delivery("starting", message_id="msg-1")).duplicate
    assert inbox.prediction("pred-1")["status"] == "starting"
    completed = inbox.receive(*delivery("succeeded", message_id="msg-2", output=["https://replicate.delivery/a.png"]))
    assert completed.capture_due
    assert inbox.prediction("pred-1")["status"] == "succeeded"
    assert inbox.prediction("pred-1")["output"] == ["https://replicate.delivery/a.png"]


def test_a_bad_signature_or_an_old_timestamp_changes_nothing(inbox, db, capture):
    headers, body = delivery("succeeded", message_id="msg-1", output=["https://replicate.delivery/a.png"])
    with pytest.raises(WebhookVerificationError):
        inbox.receive(headers, body.replace(b"pred-1", b"pred-2"))
    with pytest.raises(WebhookVerificationError, match="more than 300 s"):
        inbox.receive(*delivery("succeeded", message_id="msg-3", timestamp=NOW - 301))
    assert db[WEBHOOK_DELIVERIES].count_documents({}) == 0 and inbox.prediction("pred-1") is None
    assert capture.calls == []


def test_a_failed_capture_is_released_so_a_later_delivery_or_the_poller_can_capture(db):
    attempts = []

    def flaky(prediction_id: str, urls: list[str]) -> str:
        attempts.append(prediction_id)
        if len(attempts) == 1:
            raise OSError("connection reset")
        return "captured"

    inbox = WebhookInbox(db, secret=SECRET, capture=flaky, clock=utc_now, now_seconds=time.time)
    now = int(time.time())
    outcome = inbox.receive(*delivery("succeeded", message_id="msg-1", timestamp=now, output=["https://x/a.png"]))
    assert inbox.capture_output(outcome) is None
    assert inbox.prediction("pred-1")["capture"] is None
    assert inbox.capture_output(outcome) == "captured" and len(attempts) == 2
    assert inbox.capture_output(outcome) is None, "never downloaded twice"


def test_every_delivery_is_one_insert_and_every_event_is_applied_exactly_once(inbox, db):
    commands: list[str] = []
    host, port = db.client.address
    client = MongoClient(f"mongodb://{host}:{port}/?directConnection=true", event_listeners=[_Recorder(commands)])
    try:
        recorded = WebhookInbox(
            client[db.name], secret=SECRET, capture=lambda *_: "", clock=utc_now, now_seconds=lambda: NOW
        )
        deliveries = [delivery("starting", message_id="msg-1"), delivery("succeeded", message_id="msg-2", output="u")]
        outcomes = [recorded.receive(headers, body) for headers, body in deliveries]
        assert commands == ["insert", "insert"]  # one insert each, nothing read first
        outcomes += [recorded.receive(headers, body) for headers, body in deliveries[::-1]]  # repeats, reversed
        assert commands == ["insert"] * 4  # a repeat is only the insert the unique _id refuses
    finally:
        client.close()
    assert [o.duplicate for o in outcomes] == [False, False, True, True]
    assert db[WEBHOOK_DELIVERIES].count_documents({}) == 2
    stored = inbox.prediction("pred-1")
    assert stored["webhookIds"] == ["msg-1", "msg-2"] and stored["status"] == "succeeded" and stored["output"] == "u"


def test_a_record_from_before_the_deliveries_collection_keeps_its_ids_and_capture(inbox, db, capture):
    db[PROVIDER_PREDICTIONS].insert_one(
        {"_id": "pred-1", "status": "starting", "rank": 0, "webhookIds": ["msg-0"], "capture": None}
    )
    completed = inbox.receive(*delivery("succeeded", message_id="msg-1", output=["https://x/a.png"]))
    assert inbox.capture_output(completed) == "captured/pred-1"
    stored = inbox.prediction("pred-1")
    assert (stored["status"], stored["webhookIds"], stored["capture"]) == (
        "succeeded",
        ["msg-0", "msg-1"],
        "captured/pred-1",
    )


def test_a_late_start_does_not_move_back_a_record_from_before_the_deliveries_collection(inbox, db):
    db[PROVIDER_PREDICTIONS].insert_one(
        {"_id": "pred-1", "status": "succeeded", "rank": 2, "output": "u", "webhookIds": ["msg-2"], "capture": None}
    )
    assert not inbox.receive(*delivery("starting", message_id="msg-1")).capture_due
    stored = inbox.prediction("pred-1")
    assert (stored["status"], stored["output"], stored["webhookIds"]) == ("succeeded", "u", ["msg-2", "msg-1"])


def test_a_prediction_id_that_would_break_the_key_is_refused(inbox):
    body = json.dumps({"id": "pred/1", "status": "starting"}).encode()
    headers = {
        "webhook-id": "msg-1",
        "webhook-timestamp": str(NOW),
        "webhook-signature": sign(secret=SECRET, message_id="msg-1", timestamp=NOW, body=body),
    }
    with pytest.raises(WebhookVerificationError, match="not a Replicate prediction"):
        inbox.receive(headers, body)


class _Recorder(monitoring.CommandListener):
    def __init__(self, commands: list[str]) -> None:
        self.commands = commands

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

    def failed(self, event: monitoring.CommandFailedEvent) -> None: ...
