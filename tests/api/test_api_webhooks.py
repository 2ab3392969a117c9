"""POST /api/webhooks/replicate over real HTTP: signed deliveries accepted once, forgeries refused with 401."""

from __future__ import annotations

import json
import time

from services.core.clock import utc_now
from services.webhooks.inbox import WebhookInbox
from services.webhooks.signing import sign, verify
from tests.integration.test_outgoing_webhooks import Receiver, outgoing
from tests.support.api_fixtures import ApiServer
from tests.support.worker_processes import wait_for

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def signed(body: bytes, *, message_id: str, timestamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "content-type": "application/json",
        "webhook-signature": sign(secret=SECRET, message_id=message_id, timestamp=stamp, body=body),
    }


def with_inbox(server: ApiServer, captured: list[str]) -> None:
    server.runtime.webhooks = WebhookInbox(
        server.runtime.db,
        secret=SECRET,
        clock=utc_now,
        now_seconds=time.time,
        capture=lambda pid, urls: captured.append(pid) or f"captured/{pid}",
    )


def test_a_signed_completed_event_delivered_three_times_is_recorded_and_captured_once(api_server: ApiServer):
    captured: list[str] = []
    with_inbox(api_server, captured)
    body = json.dumps({"id": "pred-9", "status": "succeeded", "output": ["https://replicate.delivery/a.png"]}).encode()
    client = api_server.client()
    answers = [client.post("/webhooks/replicate", content=body, headers=signed(body, message_id="msg-9")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    # The route captures the output after it has answered (to answer fast): wait for it, at most 5 s.
    wait_for(lambda: captured or None, timeout=5)
    assert captured == ["pred-9"]
    assert api_server.runtime.webhooks.prediction("pred-9")["status"] == "succeeded"


def test_a_forged_or_stale_delivery_gets_401_and_changes_nothing(api_server: ApiServer):
    captured: list[str] = []
    with_inbox(api_server, captured)
    body = json.dumps({"id": "pred-9", "status": "succeeded", "output": ["https://replicate.delivery/a.png"]}).encode()
    client = api_server.client()
    tampered = client.post(
        "/webhooks/replicate", content=body.replace(b"pred-9", b"pred-8"), headers=signed(body, message_id="msg-1")
    )
    stale = client.post(
        "/webhooks/replicate", content=body, headers=signed(body, message_id="msg-2", timestamp=int(time.time()) - 301)
    )
    assert (tampered.status_code, stale.status_code) == (401, 401)
    assert tampered.json()["code"] == "webhook_verification_failed"
    assert api_server.runtime.db["webhook_events"].count_documents({}) == 0 and captured == []


def test_without_a_webhook_secret_the_endpoint_says_how_to_enable_it(api_server: ApiServer):
    answer = api_server.client().post("/webhooks/replicate", content=b"{}")
    assert answer.status_code == 404 and "REPLICATE_WEBHOOK_SECRET" in answer.json()["detail"]


def test_a_registered_callback_url_gets_signed_events_and_only_its_owner_can_remove_it(make_api_server, db):
    receiver = Receiver([200])
    callbacks = outgoing(db, allow_private=True)
    api_server: ApiServer = make_api_server(callbacks=callbacks)
    try:
        _, alice = api_server.sign_up()
        _, bob = api_server.sign_up()
        owner = api_server.client(alice["accessToken"])
        created = owner.post("/webhook-endpoints", json={"url": receiver.url})
        assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
        listed = owner.get("/webhook-endpoints").json()
        assert [e["url"] for e in listed] == [receiver.url] and "secret" not in listed[0]

        workflow = owner.post("/video-workflows", json={"title": "Hooked", "initialPrompt": "Tell me"}).json()
        owner.post(f"/video-workflows/{workflow['id']}/refine-prompt", json={})
        callbacks.deliver_due()
        headers, body = receiver.received[0]
        event = json.loads(verify(secret=created.json()["secret"], headers=headers, body=body, now=time.time()).body)
        assert (event["type"], event["data"]["workflowId"]) == ("workflow.step_completed", workflow["id"])

        endpoint_id = created.json()["id"]
        assert api_server.client(bob["accessToken"]).delete(f"/webhook-endpoints/{endpoint_id}").status_code == 404
        assert owner.delete(f"/webhook-endpoints/{endpoint_id}").status_code == 204
        assert owner.get("/webhook-endpoints").json() == []
    finally:
        receiver.server.shutdown()
