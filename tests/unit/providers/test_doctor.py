"""`make doctor`: with no keys it says which are missing and asks nobody; with keys it reads each provider once."""

from __future__ import annotations

import io

import httpx

from scripts.doctor import main
from tests.integration.providers.test_model_lifecycle import POE_LISTING
from tests.support.providers import Recorder, provider_settings


def run(settings, transports=None) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--sources"], settings=settings, transports=transports, out=out)
    return code, out.getvalue()


def test_without_keys_doctor_names_the_missing_keys_prints_the_table_and_calls_nobody(tmp_path):
    code, text = run(provider_settings(tmp_path, POE_API_KEY=None, REPLICATE_API_KEY=None))
    assert code == 0
    assert "POE_API_KEY is not set" in text and "REPLICATE_API_KEY is not set" in text
    assert "| claude-3-opus-20240229 | poe `Claude-3-Opus` | retired on 2026-01-05 → claude-opus-4.6 |" in text
    assert "| veo-3 | replicate `google/veo-3` | available | unchecked: REPLICATE_API_KEY is not set" in text
    assert "- dalle-3: PROVIDERS.md: removed from OpenAI's API" in text  # --sources: each fact's source and date
    # The autouse network guard would have failed the test on any real outbound call.


def test_with_scripted_providers_doctor_reports_each_model_and_fails_on_a_live_model_that_is_gone(tmp_path):
    poe = Recorder(httpx.Response(200, json=POE_LISTING))

    def replicate_answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1/models/google/veo-3.1"):
            return httpx.Response(404, json={"detail": "Not found", "status": 404})
        return httpx.Response(200, json={"owner": "x", "name": "y"})

    replicate = Recorder(replicate_answer)
    code, text = run(provider_settings(tmp_path), {"poe": poe.transport, "replicate": replicate.transport})

    assert code == 1, "a model the configuration says is live, that the provider does not serve, fails the doctor"
    assert "doctor: veo-3.1 is unavailable: Replicate has no model google/veo-3.1" in text
    assert "| gpt-4o | poe `GPT-4o` | available | available |" in text
    assert "| Video-Generator-PRO | poe `Video-Generator-PRO` | available | unavailable: Poe does not list" in text
    assert [r.method for r in poe.requests + replicate.requests] == ["GET"] * (1 + len(replicate.requests))
    assert len(poe.requests) == 1, "one listing answers for every Poe bot"
