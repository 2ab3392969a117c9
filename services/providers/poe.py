"""Poe prompt refiner over its OpenAI-compatible chat completions endpoint (httpx)."""

from __future__ import annotations

import httpx

from services.core.errors import ProviderError, ProviderModelMissingError
from services.providers.base import RefinementRequest, RefinementResult
from services.providers.retrying import (
    KeySource,
    RetryPolicy,
    call_with_retries,
    retry_after_seconds,
)

PROVIDER = "poe"
MAX_DETAIL = 200
DEFAULT_NOTES = "Refine it further: sharper shots, a clearer story."
SYSTEM_PROMPT = (
    "You are a creative director writing production prompts for AI video generation. Turn the brief into one "
    "self-contained prompt for a short video: concept, subject, setting, shots in order with timing, camera "
    "moves, lighting, palette, style, audience and tone. Keep subjects, wardrobe and colours consistent across "
    "shots. Apply every director's note. Answer with the prompt only, no preamble."
)


class PoeRefiner:
    """Refines prompts with one Poe bot; the client is injected (base URL, timeouts, transport)."""

    def __init__(self, http: httpx.Client, *, bot: str, api_key: KeySource, policy: RetryPolicy) -> None:
        self.http = http
        self.bot = bot
        self.api_key = api_key
        self.policy = policy

    def refine(self, request: RefinementRequest) -> RefinementResult:
        """Send the brief, every earlier round and the new notes; retry transient failures."""
        key = self.api_key(request.user_id)
        body = {"model": self.bot, "messages": build_messages(request), "stream": False}
        return call_with_retries(lambda: self._once(body, key), self.policy)

    def _once(self, body: dict, key: str) -> RefinementResult:
        try:
            response = self.http.post("/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"})
        except httpx.TimeoutException:
            raise ProviderError("Poe did not answer in time.", provider=PROVIDER) from None
        except httpx.TransportError:
            raise ProviderError("Poe could not be reached.", provider=PROVIDER) from None
        return parse_completion(response)


def build_messages(request: RefinementRequest) -> list[dict[str, str]]:
    """The conversation: system prompt, the brief, each earlier round (notes, answer), then the new notes."""
    brief = request.brief
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {
            "role": "user",
            "content": (
                f"Title: {brief.title}\nIdea: {brief.initial_prompt}\nTarget audience: {brief.target_audience or '-'}\n"
                f"Tone: {brief.tone or '-'}\nDuration: {brief.duration} s\nStyle: {brief.style or '-'}\n"
                f"Aspect ratio: {brief.aspect_ratio}\n\nWrite the production prompt."
            ),
        },
    ]
    for index, past in enumerate(request.history):
        _add_notes(messages, past.additional_info, first_round=index == 0)
        messages.append({"role": "assistant", "content": past.refined_prompt})
    _add_notes(messages, request.additional_info, first_round=not request.history)
    return messages


def _add_notes(messages: list[dict[str, str]], notes: str | None, *, first_round: bool) -> None:
    """First-round notes join the brief; later rounds are user turns, so roles keep alternating."""
    if first_round:
        if notes:
            messages[1]["content"] += f"\n\nDirector's notes: {notes}"
        return
    messages.append({"role": "user", "content": f"Director's notes: {notes or DEFAULT_NOTES}"})


def parse_completion(response: httpx.Response) -> RefinementResult:
    """The one place Poe answers become a result or a typed ProviderError."""
    if response.status_code != 200:
        raise error_for(response)
    try:
        data = response.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ProviderError("Poe sent a malformed answer.", provider=PROVIDER, status=200) from None
    if not isinstance(content, str) or not content.strip():
        raise ProviderError("Poe returned an empty prompt.", provider=PROVIDER, status=200)
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    counts = {
        name: int(usage[name])
        for name in ("prompt_tokens", "completion_tokens", "total_tokens")
        if isinstance(usage.get(name), int)
    }
    return RefinementResult(refined_prompt=content.strip(), usage=counts)


def error_for(response: httpx.Response) -> ProviderError:
    """The one mapping of a Poe error answer to our typed error (model_not_found says the bot is gone)."""
    status = response.status_code
    detail = _detail(response)
    if status in (400, 404) and _code(response) == "model_not_found":
        return ProviderModelMissingError(
            f"Poe does not serve this bot any more ({status} model_not_found){': ' + detail if detail else ''}.",
            provider=PROVIDER,
            status=status,
            retryable=False,
        )
    if status == 429:
        wait = retry_after_seconds(response.headers)
        if wait is None:
            wait = _reset_seconds(response.headers.get("x-ratelimit-reset-requests"))
        return ProviderError("Poe's rate limit was reached.", provider=PROVIDER, status=429, retry_after=wait)
    if status >= 500:
        return ProviderError(f"Poe had a server error ({status}).", provider=PROVIDER, status=status)
    if status in (401, 403):
        return ProviderError(
            "Poe refused the API key. Check the Poe key in your settings.", provider=PROVIDER, status=status, retryable=False
        )
    return ProviderError(
        f"Poe refused the request ({status}){': ' + detail if detail else ''}.",
        provider=PROVIDER,
        status=status,
        retryable=False,
    )


def _code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", {}).get("code") or "")
    except (ValueError, AttributeError):
        return ""


def _detail(response: httpx.Response) -> str:
    try:
        message = response.json().get("error", {}).get("message", "")
    except (ValueError, AttributeError):
        return ""
    text = " ".join(str(message).split())
    return text[:MAX_DETAIL]


def _reset_seconds(value: str | None) -> float | None:
    """x-ratelimit-reset-requests, which OpenAI-style APIs send as '12s' or '1m3s' or a bare number."""
    if not value:
        return None
    text, total, number = value.strip().lower(), 0.0, ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        elif char in "hms" and number:
            total += float(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
        else:
            return None
    return total + float(number) if number else total
