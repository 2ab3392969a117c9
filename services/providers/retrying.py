"""Bounded retries with exponential backoff and jitter that honour Retry-After."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from services.core.errors import ProviderError

T = TypeVar("T")
KeySource = Callable[[str | None], str]  # user id (or None) -> the API key to use; raises ProviderError


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; sleep and jitter are injectable so tests can see the waits."""

    max_attempts: int = 4
    backoff_seconds: float = 0.5
    max_wait_seconds: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def wait_before(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before attempt+1: the provider's Retry-After, else backoff with full jitter."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_wait_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self.jitter())


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Retry-After as seconds (delta or HTTP date), or None when absent or unreadable."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def call_with_retries(
    call: Callable[[], T], policy: RetryPolicy, should_retry: Callable[[ProviderError], bool] = lambda error: error.retryable
) -> T:
    """Run call; retry the errors should_retry accepts, at most policy.max_attempts times in all."""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return call()
        except ProviderError as error:
            if attempt == policy.max_attempts or not should_retry(error):
                raise
            wait = policy.wait_before(attempt, error.retry_after)
            if wait > policy.max_wait_seconds:
                # Waiting less than the provider asked is pointless; tell the user when to come back.
                raise ProviderError(
                    f"{error.message} The provider asked us to wait {wait:.0f} s; try again then.",
                    provider=error.provider,
                    status=error.status,
                    retryable=True,
                    retry_after=wait,
                ) from error
            policy.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
