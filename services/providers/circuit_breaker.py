"""A circuit breaker per provider and model: after repeated transient failures, fail fast for a while.

Five timeouts or 5xx answers in a row mean the provider is down; sending it more work only makes users wait for
the same failure (and the retry policy multiplies each wait). While open, a call fails at once with a message that
names the provider and when it will be tried again. After the cooldown one probe call goes through (half-open):
its success closes the circuit, its failure opens it for another cooldown. The workflow that met the failure
keeps its step retryable, as for any provider error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from services.core.errors import ProviderError

T = TypeVar("T")


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


def is_transient(error: BaseException) -> bool:
    """A failure that says the provider is unwell: no answer (timeout, connection) or a 5xx."""
    return isinstance(error, ProviderError) and (error.status is None or error.status >= 500)


class CircuitOpenError(ProviderError):
    """The provider failed repeatedly; calls fail fast until the cooldown ends."""

    code = "provider_unavailable"


class CircuitBreaker:
    """Counts consecutive transient failures of one provider model and opens after `failure_threshold` of them."""

    def __init__(
        self,
        *,
        provider: str,
        model: str,
        failure_threshold: int = 5,
        cooldown_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        on_change: Callable[[CircuitState], None] = lambda state: None,
    ) -> None:
        self.provider, self.model = provider, model
        self.failure_threshold, self.cooldown = failure_threshold, cooldown_seconds
        self.monotonic, self.on_change = monotonic, on_change
        self.state = CircuitState.CLOSED
        self.failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._lock = threading.Lock()

    def retry_at(self) -> datetime | None:
        """When an open circuit lets a probe through (UTC), or None when closed."""
        if self.state is CircuitState.CLOSED:
            return None
        left = max(0.0, self._opened_at + self.cooldown - self.monotonic())
        return datetime.now(UTC) + timedelta(seconds=left)

    def call(self, provider_call: Callable[[], T]) -> T:
        """Run provider_call unless the circuit is open; record how it went."""
        self._admit()
        try:
            result = provider_call()
        except BaseException as error:
            self._record(failed=is_transient(error))
            raise
        self._record(failed=False)
        return result

    def _admit(self) -> None:
        with self._lock:
            if self.state is CircuitState.CLOSED:
                return
            left = self._opened_at + self.cooldown - self.monotonic()
            if left <= 0 and not self._probing:
                self._probing = True  # this call is the one probe
                self._set(CircuitState.HALF_OPEN)
                return
            wait = max(left, 1.0)
        raise CircuitOpenError(
            f"{self.provider} ({self.model}) failed {self.failure_threshold} times in a row, so the studio is not "
            f"sending it work for now; it will be tried again in {wait:.0f} s. Retry the step then, or pick "
            "another model.",
            provider=self.provider,
            status=503,
            retryable=True,
            retry_after=wait,
        )

    def _record(self, *, failed: bool) -> None:
        with self._lock:
            probe, self._probing = self._probing, False
            if not failed:
                self.failures = 0
                self._set(CircuitState.CLOSED)
                return
            self.failures += 1
            if probe or self.failures >= self.failure_threshold:
                self._opened_at = self.monotonic()
                self._set(CircuitState.OPEN)

    def _set(self, state: CircuitState) -> None:
        if state is not self.state:
            self.state = state
            self.on_change(state)


class CircuitBreakers:
    """One breaker per (provider, model), made on first use; their states feed Provider status and the metrics."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        cooldown_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, str, CircuitState], None] = lambda provider, model, state: None,
    ) -> None:
        self.failure_threshold, self.cooldown, self.monotonic, self.on_change = (
            failure_threshold,
            cooldown_seconds,
            monotonic,
            on_change,
        )
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}
        self._lock = threading.Lock()

    def for_model(self, provider: str, model: str) -> CircuitBreaker:
        """The breaker of this provider model."""
        with self._lock:
            key = (provider, model)
            if key not in self._breakers:
                self._breakers[key] = CircuitBreaker(
                    provider=provider,
                    model=model,
                    failure_threshold=self.failure_threshold,
                    cooldown_seconds=self.cooldown,
                    monotonic=self.monotonic,
                    on_change=lambda state: self.on_change(provider, model, state),
                )
            return self._breakers[key]

    def state_of(self, model: str) -> CircuitBreaker | None:
        """The breaker of a public model id, if it has been used."""
        return next((b for (_, m), b in self._breakers.items() if m == model), None)


class Guarded:
    """A provider adapter whose generation calls go through its model's circuit breaker."""

    def __init__(self, implementation: object, breaker: CircuitBreaker) -> None:
        self.implementation, self.breaker = implementation, breaker

    def refine(self, request):  # type: ignore[no-untyped-def]
        """Refine, unless the circuit is open."""
        return self.breaker.call(lambda: self.implementation.refine(request))  # type: ignore[attr-defined]

    def generate_frame(self, request):  # type: ignore[no-untyped-def]
        """Draw a frame, unless the circuit is open."""
        return self.breaker.call(lambda: self.implementation.generate_frame(request))  # type: ignore[attr-defined]

    def generate_video(self, request, output_path):  # type: ignore[no-untyped-def]
        """Render a video, unless the circuit is open."""
        return self.breaker.call(
            lambda: self.implementation.generate_video(request, output_path)  # type: ignore[attr-defined]
        )

    def __getattr__(self, name: str) -> object:
        return getattr(self.implementation, name)  # everything else (resume hooks, limits) as the adapter has it
