"""The API refuses a model found unavailable with a 422 naming its successor, before any provider call."""

from __future__ import annotations

from services.providers.availability import UNAVAILABLE, ModelAvailability
from services.providers.wiring import build_registry
from tests.support.api_fixtures import SHORT_BRIEF
from tests.support.providers import Recorder, chat_completion, provider_settings, transports


def test_a_model_marked_unavailable_gets_a_422_naming_its_successor_and_no_provider_call(make_api_server, tmp_path):
    poe = Recorder(chat_completion("A neon dawn run."))
    registry = build_registry(provider_settings(tmp_path), transports=transports(poe=poe))
    registry.availability.record(
        "claude-opus-4.6", ModelAvailability(state=UNAVAILABLE, reason="Poe does not list the bot Claude-Opus-4.6")
    )
    _, client = make_api_server(registry).user_client()

    created = client.post("/video-workflows", json={**SHORT_BRIEF, "metadata": {"duration": 8, "aspectRatio": "16:9"}})
    assert created.status_code == 201, created.text
    base = f"/video-workflows/{created.json()['id']}"
    refused = client.post(f"{base}/refine-prompt", json={"model": "claude-opus-4.6"})

    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "model_unavailable" and problem["model"] == "claude-opus-4.6"
    assert problem["successor"] and f"Use {problem['successor']} instead" in problem["detail"]
    assert poe.requests == [], "refused before anything was sent to Poe"

    # The seed's retired id still works: its successor runs, and the iteration says which model that was.
    registry.availability.record("claude-opus-4.6", ModelAvailability(state="available", reason="listed"))
    ran = client.post(f"{base}/refine-prompt", json={"model": "claude-3-opus-20240229"})
    assert ran.status_code == 200, ran.text
    iteration = ran.json()["refinementIterations"][0]
    assert (iteration["model"], iteration["requestedModel"]) == ("claude-opus-4.6", "claude-3-opus-20240229")


def test_the_model_list_says_what_each_id_runs_as_its_lifecycle_and_its_price_source(make_api_server, tmp_path):
    registry = build_registry(provider_settings(tmp_path, POE_API_KEY=None, REPLICATE_API_KEY=None))
    _, client = make_api_server(registry).user_client()
    models = {m["id"]: m for m in client.get("/models").json()}

    dalle = models["dalle-3"]
    assert dalle["lifecycle"] == "retired on 2026-05-12 → flux-1.1-pro" and dalle["runsAs"] == "flux-1.1-pro"
    assert dalle["usable"] and "PROVIDERS.md" in dalle["lifecycleSource"] and "2026-12-01" in dalle["lifecycleSource"]
    assert models["veo-3"]["price"] == "$0.2/s silent, $0.4/s with sound" and "fal.ai" in models["veo-3"]["priceSource"]
    assert models["Video-Generator-PRO"]["provider"] == "poe" and models["Video-Generator-PRO"]["price"] == "unknown"
