"""The circuit breaker: five transient failures open it, calls then fail fast, one probe after the cooldown."""

from __future__ import annotations

import threading
import time

import pytest

from services.core.errors import ProviderError
from services.providers.circuit_breaker import CircuitBreaker, CircuitOpenError, CircuitState


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def unavailable() -> None:
    raise ProviderError("Replicate had a server error (503).", provider="replicate", status=503)


def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(provider="replicate", model="veo-3", failure_threshold=5, cooldown_seconds=30, monotonic=clock)


def fail_times(circuit: CircuitBreaker, times: int, error=unavailable) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        with pytest.raises(ProviderError):
            circuit.call(error)


def test_five_transient_failures_open_the_circuit_and_the_sixth_call_fails_fast_naming_the_provider():
    clock, calls = Clock(), []
    circuit = breaker(clock)
    fail_times(circuit, 4)
    assert circuit.state is CircuitState.CLOSED
    fail_times(circuit, 1)
    assert circuit.state is CircuitState.OPEN

    started = time.perf_counter()
    with pytest.raises(CircuitOpenError, match=r"replicate \(veo-3\) failed 5 times in a row.*again in 30 s") as refused:
        circuit.call(lambda: calls.append("sent"))
    assert time.perf_counter() - started < 0.05
    assert calls == [], "nothing reaches the provider while the circuit is open"
    assert refused.value.retryable and refused.value.retry_after == 30


def test_answers_that_are_not_outages_do_not_count():
    circuit = breaker(Clock())

    def refused_input() -> None:
        raise ProviderError("The prompt was flagged.", provider="replicate", status=422, retryable=False)

    def rate_limited() -> None:
        raise ProviderError("Replicate's rate limit was reached.", provider="replicate", status=429)

    fail_times(circuit, 10, refused_input)
    fail_times(circuit, 10, rate_limited)
    assert circuit.state is CircuitState.CLOSED


def test_a_success_resets_the_count_of_consecutive_failures():
    circuit = breaker(Clock())
    fail_times(circuit, 4)
    assert circuit.call(lambda: "frame") == "frame"
    fail_times(circuit, 4)
    assert circuit.state is CircuitState.CLOSED


def test_after_the_cooldown_one_probe_goes_through_and_its_success_closes_the_circuit():
    clock = Clock()
    circuit = breaker(clock)
    fail_times(circuit, 5)
    clock.now += 29
    with pytest.raises(CircuitOpenError):
        circuit.call(lambda: "too early")
    clock.now += 1

    assert circuit.call(lambda: "recovered") == "recovered"
    assert circuit.state is CircuitState.CLOSED
    assert circuit.call(lambda: "again") == "again"


def test_a_failed_probe_opens_the_circuit_for_another_cooldown():
    clock = Clock()
    circuit = breaker(clock)
    fail_times(circuit, 5)
    clock.now += 30
    fail_times(circuit, 1)  # the probe
    assert circuit.state is CircuitState.OPEN
    clock.now += 10
    with pytest.raises(CircuitOpenError, match="again in 20 s"):
        circuit.call(lambda: "still down")


def test_while_the_probe_runs_other_calls_still_fail_fast():
    clock = Clock()
    circuit = breaker(clock)
    fail_times(circuit, 5)
    clock.now += 30
    probing, release = threading.Event(), threading.Event()

    def slow_probe() -> str:
        probing.set()
        release.wait(5)
        return "ok"

    probe = threading.Thread(target=lambda: circuit.call(slow_probe))
    probe.start()
    probing.wait(5)
    with pytest.raises(CircuitOpenError):
        circuit.call(lambda: "second caller")
    release.set()
    probe.join(5)
    assert circuit.state is CircuitState.CLOSED
