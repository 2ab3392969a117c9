"""Standard Webhooks 1.0 signatures: sign outgoing events and verify incoming ones. Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from services.core.errors import StudioError

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300  # Standard Webhooks: refuse timestamps more than 5 minutes away


class WebhookVerificationError(StudioError):
    """The webhook's signature, timestamp or headers are not acceptable."""

    code = "webhook_verification_failed"


@dataclass(frozen=True)
class VerifiedWebhook:
    message_id: str
    timestamp: int
    body: bytes


def _key(secret: str) -> bytes:
    encoded = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(encoded, validate=True)
    except ValueError:
        raise WebhookVerificationError("The webhook secret is not valid base64.") from None


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value (`v1,<base64 HMAC-SHA256>`) for this message."""
    signed_content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed_content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    *, secret: str, headers: Mapping[str, str], body: bytes, now: float, tolerance: int = TOLERANCE_SECONDS
) -> VerifiedWebhook:
    """Check the raw body against the signature headers; raises WebhookVerificationError."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id", "")
    raw_timestamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not (message_id and raw_timestamp and signatures):
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature header.")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError("The webhook-timestamp header is not a number.") from None
    if abs(now - timestamp) > tolerance:
        raise WebhookVerificationError(f"The webhook timestamp is more than {tolerance} s away from now.")
    expected = sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return VerifiedWebhook(message_id=message_id, timestamp=timestamp, body=body)
    raise WebhookVerificationError("No webhook signature matches.")
