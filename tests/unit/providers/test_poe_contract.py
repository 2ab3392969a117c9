"""Poe refiner contract: documented response shapes through httpx.MockTransport, no network."""

from __future__ import annotations

import json

import httpx
import pytest

from services.core.errors import ProviderError
from services.providers.base import PastRound
from services.providers.wiring import build_registry
from tests.support.providers import (
    Recorder,
    a_refinement_request,
    chat_completion,
    poe_error,
    provider_settings,
    transports,
)


def refiner_with(tmp_path, poe: Recorder, sleeps: list[float] | None = None, **settings):
    registry = build_registry(provider_settings(tmp_path, **settings), transports=transports(poe=poe, sleeps=sleeps))
    return registry.refiner("gpt-4o")


def test_a_refinement_sends_the_brief_history_and_notes_to_the_configured_bot(tmp_path):
    poe = Recorder(chat_completion("  A dawn run through neon streets.  "))
    resolved = refiner_with(tmp_path, poe)
    request = a_refinement_request(history=(PastRound(None, "first draft"),), additional_info="add rain")

    result = resolved.implementation.refine(request)

    assert resolved.provider_name == "poe"
    assert result.refined_prompt == "A dawn run through neon streets."
    assert result.usage == {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200}
    sent = poe.requests[0]
    assert sent.url == "https://api.poe.com/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer poe-test-key-123"
    body = json.loads(sent.content)
    assert body["model"] == "GPT-4o" and body["stream"] is False
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert "A runner crosses the city at dawn" in body["messages"][1]["content"]
    assert body["messages"][2]["content"] == "first draft"
    assert body["messages"][3]["content"] == "Director's notes: add rain"


def test_a_429_waits_exactly_as_long_as_retry_after_says_then_succeeds(tmp_path):
    sleeps: list[float] = []
    poe = Recorder(poe_error(429, "Rate limit reached", headers={"Retry-After": "7"}), chat_completion("ok"))
    result = refiner_with(tmp_path, poe, sleeps).implementation.refine(a_refinement_request())
    assert result.refined_prompt == "ok"
    assert sleeps == [7.0] and len(poe.requests) == 2


def test_a_429_without_retry_after_uses_the_rate_limit_reset_header(tmp_path):
    sleeps: list[float] = []
    poe = Recorder(poe_error(429, "slow down", headers={"x-ratelimit-reset-requests": "0m45s"}), chat_completion("ok"))
    refiner_with(tmp_path, poe, sleeps).implementation.refine(a_refinement_request())
    assert sleeps == [45.0]


def test_a_retry_after_longer_than_the_maximum_wait_fails_fast_and_says_when_to_come_back(tmp_path):
    sleeps: list[float] = []
    poe = Recorder(poe_error(429, "Rate limit reached", headers={"Retry-After": "3600"}))
    with pytest.raises(ProviderError) as raised:
        refiner_with(tmp_path, poe, sleeps).implementation.refine(a_refinement_request())
    assert sleeps == [] and len(poe.requests) == 1
    assert raised.value.status == 429 and "3600 s" in raised.value.message


def test_a_500_is_retried_with_backoff_and_then_succeeds(tmp_path):
    sleeps: list[float] = []
    poe = Recorder(poe_error(500, "internal"), chat_completion("second time lucky"))
    result = refiner_with(tmp_path, poe, sleeps).implementation.refine(a_refinement_request())
    assert result.refined_prompt == "second time lucky"
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 0.01


def test_timeouts_are_retried_a_bounded_number_of_times_then_fail_with_a_typed_error(tmp_path):
    sleeps: list[float] = []
    poe = Recorder(httpx.ReadTimeout("read timed out"))
    with pytest.raises(ProviderError) as raised:
        refiner_with(tmp_path, poe, sleeps, PROVIDER_MAX_ATTEMPTS=3).implementation.refine(a_refinement_request())
    assert len(poe.requests) == 3 and len(sleeps) == 2
    assert raised.value.provider == "poe" and raised.value.retryable and "in time" in raised.value.message


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, content=b"{not json"),
        httpx.Response(200, json={"choices": []}),
        chat_completion("   "),
    ],
    ids=["malformed-json", "no-choices", "empty-content"],
)
def test_malformed_or_empty_answers_are_errors_never_prompts(tmp_path, answer):
    poe = Recorder(answer)
    with pytest.raises(ProviderError) as raised:
        refiner_with(tmp_path, poe, PROVIDER_MAX_ATTEMPTS=2).implementation.refine(a_refinement_request())
    assert raised.value.provider == "poe" and len(poe.requests) == 2


def test_a_rejected_key_is_not_retried_and_the_message_never_contains_the_key(tmp_path):
    poe = Recorder(poe_error(401, "Invalid API key poe-test-key-123"))
    with pytest.raises(ProviderError) as raised:
        refiner_with(tmp_path, poe).implementation.refine(a_refinement_request())
    assert len(poe.requests) == 1 and not raised.value.retryable
    assert "poe-test-key-123" not in raised.value.message


def test_no_key_value_reaches_the_logs_even_at_debug_level(tmp_path, caplog):
    caplog.set_level("DEBUG")
    poe = Recorder(poe_error(500, "boom"), poe_error(401, "bad key"))
    with pytest.raises(ProviderError):
        refiner_with(tmp_path, poe).implementation.refine(a_refinement_request())
    assert caplog.text and "poe-test-key-123" not in caplog.text
