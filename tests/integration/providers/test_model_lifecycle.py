"""Retired models resolve to their successor; models a provider no longer serves are refused before any call."""

from __future__ import annotations

import json

import httpx
import pytest

from services.bootstrap import build_job_runner
from services.core.errors import ModelUnavailableError, StepFailedError
from services.providers.availability import UNAVAILABLE, AvailabilityChecker, ModelAvailability
from services.providers.registry import ModelRole
from services.providers.status import ProviderStatus
from services.providers.wiring import build_registry
from services.storage.media_store import FileMediaStore
from services.studio.service import VideoWorkflowService
from services.workflows.repository import MongoWorkflowRepository
from tests.support.briefs import a_brief
from tests.support.providers import Recorder, chat_completion, provider_settings, transports

ALICE = "user-alice"

# Poe's documented listing (creator.poe.com/api-reference/listModels): no key needed, OpenAI-style list.
POE_LISTING = {
    "object": "list",
    "data": [
        {"id": bot, "object": "model", "created": 1732440000000, "description": "", "owned_by": "poe"}
        for bot in ("GPT-4o", "GPT-5.2", "Claude-Opus-4.6", "Claude-Sonnet-4.6", "Gemini-3.1-Pro", "Veo-3")
    ],
}
# Poe's documented 400 for a model it does not serve (creator.poe.com/api-reference/errors).
MODEL_NOT_FOUND = {
    "error": {
        "message": "Model 'Claude-Opus-4.6' does not exist",
        "type": "invalid_request_error",
        "code": "model_not_found",
    }
}


def service_with(db, tmp_path, poe: Recorder) -> VideoWorkflowService:
    settings = provider_settings(tmp_path)
    return VideoWorkflowService(
        repository=MongoWorkflowRepository(db),
        media=FileMediaStore(settings.media_dir),
        settings=settings,
        jobs=build_job_runner(db, settings),
        models=build_registry(settings, transports=transports(poe=poe)),
    )


def test_the_seeds_retired_claude_id_runs_its_successor_and_the_iteration_records_the_model_that_ran(db, tmp_path):
    poe = Recorder(chat_completion("A neon dawn run."))
    service = service_with(db, tmp_path, poe)
    workflow = service.create_workflow(user_id=ALICE, brief=a_brief(refinement_model="claude-3-opus-20240229"))
    assert workflow.model_selections.refinement == "claude-opus-4.6", "the brief's retired pick is stored as what runs"
    refined = service.refine_prompt(user_id=ALICE, workflow_id=workflow.id, model="claude-3-opus-20240229")

    assert json.loads(poe.requests[0].content)["model"] == "Claude-Opus-4.6"
    iteration = refined.refinement_iterations[0]
    assert (iteration.model, iteration.requested_model) == ("claude-opus-4.6", "claude-3-opus-20240229")
    assert refined.model_selections.refinement == "claude-opus-4.6"
    stored = service.repository.get(workflow.id)
    assert stored.refinement_iterations[0].model == "claude-opus-4.6"


def test_a_successor_says_what_it_replaces_and_when_the_original_was_retired(tmp_path):
    registry = build_registry(provider_settings(tmp_path))
    resolved = registry.refiner("claude-3-opus-20240229")
    assert resolved.substitution == "claude-3-opus-20240229 → claude-opus-4.6 (the original was retired on 2026-01-05)"
    assert registry.frame_generator("dalle-3").model_id == "flux-1.1-pro"
    assert registry.refiner("gemini-1.5-pro").model_id == "gemini-3.1-pro"


def test_poes_listing_marks_a_bot_it_does_not_list_unavailable_and_the_registry_refuses_it(tmp_path):
    poe = Recorder(httpx.Response(200, json=POE_LISTING))
    registry = build_registry(provider_settings(tmp_path, REPLICATE_API_KEY=None))
    status = ProviderStatus(registry, registry_settings := provider_settings(tmp_path, REPLICATE_API_KEY=None))
    status.transports = {"poe": poe.transport}
    rows = {row.model_id: row for row in status.check_now()}

    assert [(r.method, r.url.path) for r in poe.requests] == [("GET", "/v1/models")]
    assert rows["gpt-4o"].availability == "available"
    assert rows["claude-3-opus-20240229"].availability == "unavailable"
    assert "Poe does not list the bot Claude-3-Opus" in rows["claude-3-opus-20240229"].reason
    assert (
        rows["stable-diffusion-xl"].availability == "unchecked" and "REPLICATE_API_KEY" in rows["stable-diffusion-xl"].reason
    )
    assert registry_settings.REPLICATE_API_KEY is None


def test_a_model_found_unavailable_is_refused_naming_its_successor_and_the_picker_disables_it(tmp_path):
    registry = build_registry(provider_settings(tmp_path))
    registry.availability.record("gpt-4o", ModelAvailability(state=UNAVAILABLE, reason="Poe does not list the bot GPT-4o"))
    with pytest.raises(ModelUnavailableError, match="gpt-4o is unavailable: Poe does not list the bot GPT-4o") as refusal:
        registry.refiner("gpt-4o")
    assert refusal.value.successor is not None and refusal.value.successor in refusal.value.message
    choice = next(c for c in registry.choices(ModelRole.REFINEMENT) if c.model_id == "gpt-4o")
    assert not choice.enabled and "Poe does not list the bot GPT-4o" in (choice.reason or "")


def test_poes_400_model_not_found_fails_the_step_and_disables_the_bot_before_anyone_pays_again(db, tmp_path):
    poe = Recorder(httpx.Response(400, json=MODEL_NOT_FOUND))
    service = service_with(db, tmp_path, poe)
    workflow = service.create_workflow(user_id=ALICE, brief=a_brief(refinement_model="claude-opus-4.6"))
    with pytest.raises(StepFailedError, match="model_not_found"):
        service.refine_prompt(user_id=ALICE, workflow_id=workflow.id)
    assert len(poe.requests) == 1, "a 400 is not retried"

    with pytest.raises(ModelUnavailableError, match="claude-opus-4.6 is unavailable"):
        service.refine_prompt(user_id=ALICE, workflow_id=workflow.id)
    assert len(poe.requests) == 1, "the second attempt is refused before any provider call"


def test_replicate_is_asked_for_the_model_and_the_pinned_version_and_a_404_means_unavailable(tmp_path):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models/openai/dall-e-3":
            return httpx.Response(404, json={"detail": "Not found", "status": 404})
        return httpx.Response(200, json={"url": "https://replicate.com/x", "owner": "x", "name": "y"})

    replicate = Recorder(answer)
    checker = AvailabilityChecker(
        poe=None,
        replicate=httpx.Client(base_url="https://api.replicate.com", transport=replicate.transport),
        replicate_token=lambda: "r8_test_key_456",
        clock=lambda: None,  # type: ignore[arg-type,return-value]
    )
    catalog = build_registry(provider_settings(tmp_path)).catalog
    results = checker.check(catalog[m] for m in ("stable-diffusion-xl", "dalle-3", "veo-3"))

    paths = [r.url.path for r in replicate.requests]
    assert "/v1/models/stability-ai/sdxl/versions/7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc" in paths
    assert {r.headers["authorization"] for r in replicate.requests} == {"Bearer r8_test_key_456"}
    assert [r.method for r in replicate.requests] == ["GET"] * 3, "the check only reads"
    assert results["dalle-3"].state == "unavailable" and results["veo-3"].state == "available"
