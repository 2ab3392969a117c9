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


def signing_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_...` secret (decode it once, not per delivery)."""
    return _key(secret)


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


def _header(headers: Mapping[str, str], name: str) -> str:
    # ASGI servers hand headers over lower-cased already; only other callers need the case-blind search.
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), "")
    return value


def verify(
    *,
    secret: str | None = None,
    key: bytes | None = None,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> VerifiedWebhook:
    """Check the raw body against the signature headers (pass the secret, or its decoded `key`); raises
    WebhookVerificationError.

    The body is fed to the HMAC as it is (no signed-content copy), and each offered signature is decoded to
    bytes and compared with the digest, so a delivery costs one HMAC and no copies of the body.
    """
    message_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not (message_id and raw_timestamp and signatures):
        raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or webhook-signature header.")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError("The webhook-timestamp header is not a number.") from None
    if abs(now - timestamp) > tolerance:
        raise WebhookVerificationError(f"The webhook timestamp is more than {tolerance} s away from now.")
    if key is None:
        if secret is None:
            raise ValueError("verify needs the secret or its key")
        key = _key(secret)
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode(), hashlib.sha256)
    mac.update(body)
    expected = mac.digest()
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            offered = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(offered, expected):
            return VerifiedWebhook(message_id=message_id, timestamp=timestamp, body=body)
    raise WebhookVerificationError("No webhook signature matches.")
