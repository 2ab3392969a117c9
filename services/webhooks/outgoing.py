"""Outgoing webhooks: users register callback URLs; workflow events reach them signed, with retries.

Events go into a durable outbox first (`webhook_outbox`), so a restart loses none; a deliverer
sends due ones in the Standard Webhooks format (the same signing as Replicate's callbacks to us)
and backs off exponentially on failure. Callback secrets are shown once and kept AES-GCM
encrypted, bound to their owner. Targets must be HTTPS on public addresses unless a setting
allows otherwise (tests).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.database import Database

from services.core.errors import LimitReachedError, NotFoundError, ValidationError
from services.providers.media_capture import is_public_address
from services.webhooks.signing import sign
from services.workflows.domain import CamelModel

log = logging.getLogger(__name__)
ENDPOINTS, OUTBOX = "webhook_endpoints", "webhook_outbox"
EVENT_TYPES = ("workflow.step_completed", "workflow.failed", "workflow.completed", "review.comment_added")
MAX_ENDPOINTS_PER_USER = 10
Resolver = Callable[[str], list[str]]


@dataclass(frozen=True)
class VettedTarget:
    """A callback URL and the one checked address it is sent to."""

    url: str
    host: str
    port: int
    address: str

    def pinned_request(self, http: httpx.Client, *, content: bytes, headers: dict[str, str]) -> httpx.Request:
        """A POST to the vetted IP, with Host and the TLS server name (SNI, certificate check) set to the name."""
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        pinned = parts._replace(netloc=f"{ip}:{self.port}").geturl()
        request = http.build_request("POST", pinned, content=content, headers=headers)
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        request.extensions["sni_hostname"] = self.host
        return request


class WebhookEndpoint(CamelModel):
    id: str
    user_id: str
    url: str
    created_at: datetime


def ensure_webhook_indexes(db: Database) -> None:
    """Endpoints by owner; the outbox by what is due next."""
    db[ENDPOINTS].create_indexes([IndexModel([("userId", ASCENDING)], name="userId")])
    db[OUTBOX].create_indexes([IndexModel([("status", ASCENDING), ("nextAttemptAt", ASCENDING)], name="due")])


class OutgoingWebhooks:
    """Register callback URLs, queue workflow events for them, and deliver what is due."""

    def __init__(
        self,
        db: Database,
        *,
        keys: dict[str, bytes],
        http: httpx.Client,
        resolver: Resolver,
        clock: Callable[[], datetime],
        allow_private_targets: bool = False,
        allowed_ports: frozenset[int] = frozenset({443}),
        max_attempts: int = 6,
        backoff_seconds: float = 2.0,
    ) -> None:
        self.endpoints, self.outbox = db[ENDPOINTS], db[OUTBOX]
        self.keys = keys  # id -> 32-byte key; the last one encrypts new secrets, any listed one decrypts
        self.active_key_id = list(keys)[-1]
        self.http, self.resolver, self.clock = http, resolver, clock
        self.allow_private_targets = allow_private_targets
        self.allowed_ports = allowed_ports
        self.max_attempts, self.backoff_seconds = max_attempts, backoff_seconds

    # ---- endpoints ------------------------------------------------------------------------------

    def register(self, *, user_id: str, url: str) -> tuple[WebhookEndpoint, str]:
        """A new endpoint and its signing secret (`whsec_...`), which is returned here and never again."""
        target = self._checked_url(url)
        if self.endpoints.count_documents({"userId": user_id}) >= MAX_ENDPOINTS_PER_USER:
            raise LimitReachedError(f"You have {MAX_ENDPOINTS_PER_USER} callback URLs, the limit. Remove one first.")
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        endpoint = WebhookEndpoint(id=uuid.uuid4().hex[:16], user_id=user_id, url=target, created_at=self.clock())
        nonce = os.urandom(12)
        aead = AESGCM(self.keys[self.active_key_id])
        sealed = nonce + aead.encrypt(nonce, secret.encode(), self._aad(user_id, endpoint.id))
        document = endpoint.to_document()
        document["_id"] = document.pop("id")
        self.endpoints.insert_one({**document, "secret": sealed, "keyId": self.active_key_id})
        return endpoint, secret

    def list_for_user(self, user_id: str) -> list[WebhookEndpoint]:
        """The user's endpoints (never their secrets)."""
        return [_endpoint_from(d) for d in self.endpoints.find({"userId": user_id}, {"secret": 0})]

    def remove(self, *, user_id: str, endpoint_id: str) -> None:
        """Delete one of the user's endpoints; pending deliveries to it are dropped."""
        if self.endpoints.delete_one({"_id": endpoint_id, "userId": user_id}).deleted_count == 0:
            raise NotFoundError("No such callback URL.")
        self.outbox.delete_many({"endpointId": endpoint_id, "status": "PENDING"})

    def _checked_url(self, url: str) -> str:
        return self._vetted(url).url

    def _vetted(self, url: str) -> VettedTarget:
        """The URL with the one address it may be sent to: resolved once, checked, and then pinned."""
        parts = urlsplit((url or "").strip())
        if parts.scheme != "https" and not (self.allow_private_targets and parts.scheme == "http"):
            raise ValidationError("A callback URL must start with https://.")
        if not parts.hostname or parts.username or parts.password:
            raise ValidationError("A callback URL needs a host name, and no user name or password in it.")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ValidationError("The callback URL's port is not a number from 1 to 65535.") from None
        if port not in self.allowed_ports and not self.allow_private_targets:
            allowed = ", ".join(str(p) for p in sorted(self.allowed_ports))
            raise ValidationError(f"A callback URL may use port {allowed} (WEBHOOK_ALLOWED_PORTS adds others).")
        addresses = self.resolver(parts.hostname)
        if not addresses:
            raise ValidationError(f"{parts.hostname} does not resolve; check the callback URL.")
        if not self.allow_private_targets and not all(is_public_address(a) for a in addresses):
            raise ValidationError(
                "A callback URL must point to a public address, not a loopback, link-local or private one."
            )
        return VettedTarget(url=parts.geturl(), host=parts.hostname, port=port, address=addresses[0])

    @staticmethod
    def _aad(user_id: str, endpoint_id: str) -> bytes:
        return f"webhook-endpoint|{user_id}|{endpoint_id}".encode()

    # ---- events and delivery --------------------------------------------------------------------

    def emit(self, *, user_id: str, event_type: str, data: dict) -> int:
        """Queue the event for every endpoint of the user; returns how many deliveries were queued."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type}")
        now = self.clock()
        body = json.dumps({"type": event_type, "timestamp": now.isoformat(), "data": data}, default=str)
        queued = [
            {
                "_id": f"msg_{uuid.uuid4().hex}",
                "endpointId": e["_id"],
                "userId": user_id,
                "type": event_type,
                "body": body,
                "status": "PENDING",
                "attempts": 0,
                "nextAttemptAt": now,
                "createdAt": now,
            }
            for e in self.endpoints.find({"userId": user_id}, {"_id": 1})
        ]
        if queued:
            self.outbox.insert_many(queued)
        return len(queued)

    def deliver_due(self, *, limit: int = 50) -> int:
        """Send what is due (claimed one at a time, so several deliverers never send the same message twice)."""
        sent = 0
        for _ in range(limit):
            now = self.clock()
            message = self.outbox.find_one_and_update(
                {"status": "PENDING", "nextAttemptAt": {"$lte": now}},
                {"$set": {"status": "SENDING", "nextAttemptAt": now + timedelta(minutes=5)}, "$inc": {"attempts": 1}},
                sort=[("nextAttemptAt", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if message is None:
                break
            self._deliver(message)
            sent += 1
        # A deliverer that died mid-send leaves SENDING behind: send those again once their lease is over.
        self.outbox.update_many(
            {"status": "SENDING", "nextAttemptAt": {"$lt": self.clock()}}, {"$set": {"status": "PENDING"}}
        )
        return sent

    def _deliver(self, message: dict) -> None:
        endpoint = self.endpoints.find_one({"_id": message["endpointId"]})
        if endpoint is None:
            self.outbox.update_one({"_id": message["_id"]}, {"$set": {"status": "DROPPED"}})
            return
        outcome = self._send(endpoint, message)
        if outcome is None:
            self.outbox.update_one({"_id": message["_id"]}, {"$set": {"status": "DELIVERED", "deliveredAt": self.clock()}})
            return
        attempts = message["attempts"]
        if attempts >= self.max_attempts:
            self.outbox.update_one({"_id": message["_id"]}, {"$set": {"status": "FAILED", "lastError": outcome}})
            return
        wait = self.backoff_seconds * 2 ** (attempts - 1) * random.uniform(0.8, 1.2)
        self.outbox.update_one(
            {"_id": message["_id"]},
            {"$set": {"status": "PENDING", "lastError": outcome, "nextAttemptAt": self.clock() + timedelta(seconds=wait)}},
        )

    def _send(self, endpoint: dict, message: dict) -> str | None:
        """None when the endpoint answered 2xx, else what went wrong."""
        key = self.keys.get(endpoint.get("keyId", ""))
        try:
            if key is None:
                raise InvalidTag
            secret = (
                AESGCM(key)
                .decrypt(endpoint["secret"][:12], endpoint["secret"][12:], self._aad(endpoint["userId"], endpoint["_id"]))
                .decode()
            )
        except InvalidTag:
            return "the endpoint's secret does not decrypt (was its master key removed?)"
        timestamp = int(self.clock().timestamp())
        body = message["body"].encode()
        headers = {
            "content-type": "application/json",
            "webhook-id": message["_id"],
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret=secret, message_id=message["_id"], timestamp=timestamp, body=body),
        }
        try:
            # Re-resolved at send time (a name may now point elsewhere), then sent to exactly the address that
            # passed the check: httpx never resolves the name again, so DNS rebinding cannot redirect it.
            target = self._vetted(endpoint["url"])
            response = self.http.send(target.pinned_request(self.http, content=body, headers=headers))
        except ValidationError as exc:
            return f"refused: {exc.message}"[:300]
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def _endpoint_from(document: dict) -> WebhookEndpoint:
    document = dict(document)
    document["id"] = document.pop("_id")
    return WebhookEndpoint.model_validate(document)
