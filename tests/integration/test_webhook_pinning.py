"""Outgoing webhooks go to the address that was checked: no DNS rebinding, only allowed ports, only public ranges."""

from __future__ import annotations

import httpx
import pytest
from pymongo.database import Database

from services.core.clock import utc_now
from services.core.errors import ValidationError
from services.providers.media_capture import is_public_address
from services.webhooks.outgoing import OutgoingWebhooks, ensure_webhook_indexes

USER = "user-alice"
PUBLIC = "93.184.216.34"


class RebindingResolver:
    """Answers a public address first, then loopback: what a rebinding attacker's DNS does."""

    def __init__(self) -> None:
        self.answers = [[PUBLIC], ["127.0.0.1"]]
        self.calls = 0

    def __call__(self, host: str) -> list[str]:
        self.calls += 1
        return self.answers[min(self.calls - 1, len(self.answers) - 1)]


def outgoing(db: Database, resolver, transport: httpx.MockTransport, **options) -> OutgoingWebhooks:  # type: ignore[no-untyped-def]
    ensure_webhook_indexes(db)
    return OutgoingWebhooks(
        db, keys={"k1": b"k" * 32}, http=httpx.Client(transport=transport), resolver=resolver, clock=utc_now, **options
    )


def test_a_rebinding_name_never_gets_a_connection_to_loopback(db: Database):
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    resolver = RebindingResolver()
    resolver.answers = [[PUBLIC], [PUBLIC], ["127.0.0.1"]]  # public at registration and first send, then loopback
    callbacks = outgoing(db, resolver, transport)
    callbacks.register(user_id=USER, url="https://hooks.example.com/in")

    callbacks.emit(user_id=USER, event_type="workflow.completed", data={"id": "w1"})
    assert callbacks.deliver_due() == 1
    request = sent[-1]
    assert request.url.host == PUBLIC, "sent to the address that was checked, not resolved again"
    assert request.headers["Host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com", "TLS checks the name's certificate"

    callbacks.emit(user_id=USER, event_type="workflow.completed", data={"id": "w2"})
    callbacks.deliver_due()
    assert len(sent) == 1, "once the name points at loopback nothing is sent at all"
    assert all(r.url.host != "127.0.0.1" for r in sent)
    failed = db["webhook_outbox"].find_one({"body": {"$regex": "w2"}})
    assert "public address" in failed["lastError"]


def test_the_real_transport_connects_to_the_vetted_ip_with_the_name_as_host(db: Database):
    seen: list[tuple[str, str]] = []

    class Recording(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append((request.url.host, request.headers["Host"]))
            return httpx.Response(204)

    ensure_webhook_indexes(db)
    callbacks = OutgoingWebhooks(
        db,
        keys={"k1": b"k" * 32},
        http=httpx.Client(transport=Recording()),
        resolver=lambda h: ["2606:2800:220:1::1"],
        clock=utc_now,
    )
    callbacks.register(user_id=USER, url="https://hooks.example.com/in")
    callbacks.emit(user_id=USER, event_type="workflow.failed", data={})
    callbacks.deliver_due()
    assert seen == [("2606:2800:220:1::1", "hooks.example.com")]


@pytest.mark.parametrize("url", ["https://hooks.example.com:8443/in", "https://hooks.example.com:22/in"])
def test_only_port_443_and_the_configured_ports_are_allowed(db: Database, url: str):
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with pytest.raises(ValidationError, match="port 443"):
        outgoing(db, lambda h: [PUBLIC], transport).register(user_id=USER, url=url)
    widened = outgoing(db, lambda h: [PUBLIC], transport, allowed_ports=frozenset({443, 8443}))
    if url.endswith(":8443/in"):
        widened.register(user_id=USER, url=url)
    else:
        with pytest.raises(ValidationError):
            widened.register(user_id=USER, url=url)


@pytest.mark.parametrize(
    "address",
    ["2002:7f00:1::", "fec0::1", "64:ff9b::7f00:1", "2001:0:4136:e378::1", "::ffff:127.0.0.1", "100.64.0.1", "not-an-ip"],
)
def test_ranges_that_lead_somewhere_private_are_not_public(db: Database, address: str):
    assert not is_public_address(address)
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with pytest.raises(ValidationError, match="public address"):
        outgoing(db, lambda h: [address], transport).register(user_id=USER, url="https://hooks.example.com/in")


def test_ordinary_public_addresses_still_pass():
    assert is_public_address(PUBLIC) and is_public_address("2606:2800:220:1::1")
