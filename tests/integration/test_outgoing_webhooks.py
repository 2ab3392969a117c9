"""Users' callback URLs: signed workflow events, retried with backoff; private targets refused."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from pymongo.database import Database

from services.core.clock import utc_now
from services.core.errors import ValidationError
from services.webhooks.outgoing import OutgoingWebhooks, ensure_webhook_indexes
from services.webhooks.signing import verify
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief

USER = "user-alice"


class Receiver:
    """A real HTTP endpoint on loopback that answers with scripted status codes and records deliveries."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.received = statuses, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver([200])
    yield made
    made.server.shutdown()


def outgoing(db: Database, *, allow_private: bool) -> OutgoingWebhooks:
    ensure_webhook_indexes(db)
    return OutgoingWebhooks(
        db,
        keys={"k1": b"k" * 32},
        http=httpx.Client(timeout=5),
        clock=utc_now,
        resolver=lambda host: ["127.0.0.1"] if host == "127.0.0.1" else ["10.0.0.7"],
        allow_private_targets=allow_private,
        backoff_seconds=0.05,
    )


def test_each_step_reaches_the_callback_url_signed_with_the_secret_shown_once(make_service, db, receiver):
    callbacks = outgoing(db, allow_private=True)
    endpoint, secret = callbacks.register(user_id=USER, url=receiver.url)
    assert secret.startswith("whsec_") and secret not in str(list(db["webhook_endpoints"].find()))
    service = make_service(events=callbacks)
    workflow = service.create_workflow(user_id=USER, brief=a_brief(duration=1))
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=1)
    service.review_frames(user_id=USER, workflow_id=workflow.id, reviews=[FrameReview(0, True)])
    service.generate_video(user_id=USER, workflow_id=workflow.id, fps=12)
    assert callbacks.deliver_due() == 3

    events = []
    for headers, body in receiver.received:
        verified = verify(secret=secret, headers=headers, body=body, now=time.time())
        events.append((json.loads(verified.body)["type"], json.loads(body)["data"]["step"]))
    assert events == [
        ("workflow.step_completed", "PROMPT_REFINEMENT"),
        ("workflow.step_completed", "FRAME_GENERATION"),
        ("workflow.completed", "VIDEO_GENERATION"),
    ]
    assert callbacks.list_for_user(USER)[0].id == endpoint.id


def test_a_failing_endpoint_is_retried_with_backoff_until_it_answers(db, receiver):
    receiver.statuses[:] = [500, 503, 200]
    callbacks = outgoing(db, allow_private=True)
    callbacks.register(user_id=USER, url=receiver.url)
    callbacks.emit(user_id=USER, event_type="workflow.failed", data={"workflowId": "w1"})
    deadline = time.monotonic() + 5
    while db["webhook_outbox"].find_one()["status"] != "DELIVERED":
        assert time.monotonic() < deadline, db["webhook_outbox"].find_one()
        callbacks.deliver_due()
        time.sleep(0.02)
    message = db["webhook_outbox"].find_one()
    assert message["attempts"] == 3 and len(receiver.received) == 3
    assert len({headers["webhook-id"] for headers, _ in receiver.received}) == 1, "retries keep the message id"


def test_an_endpoint_that_keeps_failing_is_given_up_after_the_attempts(db, receiver):
    receiver.statuses[:] = [500]
    callbacks = outgoing(db, allow_private=True)
    callbacks.max_attempts = 2
    callbacks.register(user_id=USER, url=receiver.url)
    callbacks.emit(user_id=USER, event_type="workflow.failed", data={})
    for _ in range(2):
        db["webhook_outbox"].update_many({}, {"$set": {"nextAttemptAt": utc_now() - timedelta(seconds=1)}})
        callbacks.deliver_due()
    message = db["webhook_outbox"].find_one()
    assert (message["status"], message["lastError"]) == ("FAILED", "HTTP 500")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.org/in", "must start with https://"),
        ("https://127.0.0.1/in", "public address"),
        ("https://intranet.corp/in", "public address"),
        ("https://user:pw@hooks.example.org/in", "no user name or password"),
    ],
)
def test_callback_urls_must_be_https_to_public_addresses(db, url, message):
    with pytest.raises(ValidationError, match=message):
        outgoing(db, allow_private=False).register(user_id=USER, url=url)
