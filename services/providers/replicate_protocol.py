"""Replicate's API as this adapter sees it: its errors mapped to ours, a prediction read as raw JSON, and the
client, inputs and fingerprints the runner sends."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import replicate
from replicate.exceptions import ReplicateError

from services.core.errors import ProviderError
from services.core.tls import shared_tls_context
from services.providers.retrying import retry_after_seconds

log = logging.getLogger(__name__)


PROVIDER = "replicate"
MAX_DETAIL = 300
TERMINAL = ("succeeded", "failed", "canceled", "aborted")
ClientFactory = Callable[[str | None], replicate.Client]  # user id -> a client carrying the right key
MediaLinker = Callable[[str], str | None]  # media key -> an absolute signed URL Replicate can fetch, or None


class NotSentError(ProviderError):
    """The connection never opened, so the request surely created nothing and may be sent again."""


def map_replicate_error(error: Exception, *, during: str) -> ProviderError:
    """The one place Replicate client failures become typed, user-safe errors."""
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, ReplicateError):
        status = error.status or 0
        detail = clean_detail(error.detail or error.title or "")
        suffix = f": {detail}" if detail else ""
        if status in (401, 403):
            return ProviderError(
                "Replicate refused the API key. Check the Replicate key in your settings.",
                provider=PROVIDER,
                status=status,
                retryable=False,
            )
        if status == 429:
            return ProviderError(f"Replicate's rate limit was reached while {during}.", provider=PROVIDER, status=429)
        if status >= 500:
            return ProviderError(
                f"Replicate had a server error ({status}) while {during}.", provider=PROVIDER, status=status
            )
        return ProviderError(
            f"Replicate refused the request ({status}) while {during}{suffix}.",
            provider=PROVIDER,
            status=status,
            retryable=False,
        )
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return NotSentError(f"Replicate could not be reached while {during}.", provider=PROVIDER)
    if isinstance(error, httpx.TimeoutException):
        return ProviderError(f"Replicate did not answer in time while {during}.", provider=PROVIDER)
    if isinstance(error, httpx.TransportError):
        return ProviderError(f"Replicate could not be reached while {during}.", provider=PROVIDER)
    if isinstance(error, ValueError):  # malformed JSON, or JSON that is not a prediction
        return ProviderError(f"Replicate sent a malformed answer while {during}.", provider=PROVIDER)
    raise error


def raise_for_rate_limit(response: httpx.Response) -> None:
    """httpx response hook: a 429 becomes our error with its Retry-After (ReplicateError drops headers)."""
    if response.status_code == 429:
        raise ProviderError(
            "Replicate's rate limit was reached.",
            provider=PROVIDER,
            status=429,
            retry_after=retry_after_seconds(response.headers),
        )


def build_client(
    api_token: str, *, base_url: str, timeout: httpx.Timeout, transport: httpx.BaseTransport | None = None
) -> replicate.Client:
    """A Replicate client with an explicit token, base URL, timeout and (injectable) transport."""
    return replicate.Client(
        api_token=api_token,
        base_url=base_url,
        timeout=timeout,
        transport=transport or httpx.HTTPTransport(verify=shared_tls_context()),
        event_hooks={"response": [raise_for_rate_limit]},
    )


def clean_detail(text: str) -> str:
    return " ".join(str(text).split())[:MAX_DETAIL]


def safe_to_resend(error: ProviderError) -> bool:
    """A create may be repeated only when it surely created nothing: rate-limited, or never sent."""
    return error.status == 429 or isinstance(error, NotSentError)


@dataclass(frozen=True)
class PredictionState:
    """A prediction as Replicate's JSON gives it (any status, `aborted` included)."""

    id: str
    status: str
    output: Any = None
    error: Any = None
    model: str | None = None
    version: str | None = None
    input: dict[str, Any] = field(default_factory=dict)
    webhook: str | None = None
    logs: str | None = None  # what the model printed so far (SDXL logs its steps as percentages)

    @classmethod
    def of(cls, data: Any) -> PredictionState:
        """Parse one prediction object; anything else is a malformed answer (ValueError)."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("status"), str):
            raise ValueError("not a prediction")
        return cls(
            id=data["id"],
            status=data["status"],
            output=data.get("output"),
            error=data.get("error"),
            model=data.get("model"),
            version=data.get("version"),
            input=data["input"] if isinstance(data.get("input"), dict) else {},
            webhook=data.get("webhook"),
            logs=data.get("logs") if isinstance(data.get("logs"), str) else None,
        )


@dataclass(frozen=True)
class Attachment:
    """An image input: its bytes, and (when it is stored media) its key, so a signed URL can name it."""

    data: bytes
    media_key: str | None = None


def fingerprint(model_input: dict[str, Any]) -> str:
    """A short, stable digest of an input, recorded with the intent."""
    return hashlib.sha256(json.dumps(model_input, sort_keys=True, default=str).encode()).hexdigest()[:32]


def data_uri(image: bytes) -> str:
    """A base64 `data:` URL of a PNG or JPEG."""
    kind = "image/jpeg" if image[:3] == b"\xff\xd8\xff" else "image/png"
    return f"data:{kind};base64,{base64.b64encode(image).decode()}"
