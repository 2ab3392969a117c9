"""Prompt Lab over HTTP: parallel runs, history, export, rating, adoption and the refinement limit."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable

from tests.support.api_fixtures import SHORT_BRIEF, ApiServer
from tests.support.fakes import ScriptedFrameGenerator, ScriptedVideoGenerator, lab_registry

THREE = ["gpt-4o", "claude-opus-4.6", "gemini-3.1-pro"]
LAB_BOUND_SECONDS = 3.9  # the bound for refiners taking 1, 2 and 3 s


def test_a_lab_run_refines_in_parallel_and_use_this_one_adds_the_next_iteration(make_api_server: Callable[..., ApiServer]):
    delays = dict(zip(THREE, (1.0, 2.0, 3.0), strict=True))
    server = make_api_server(lab_registry(delays, ScriptedFrameGenerator(), ScriptedVideoGenerator()))
    _, client = server.user_client()
    workflow_id = client.post("/video-workflows", json=SHORT_BRIEF).json()["id"]
    assert client.post(f"/video-workflows/{workflow_id}/refine-prompt", json={}).status_code == 200

    started = time.perf_counter()
    response = client.post("/prompt-lab/runs", json={"workflowId": workflow_id, "models": THREE})
    elapsed = time.perf_counter() - started

    assert response.status_code == 201, response.text
    assert elapsed <= LAB_BOUND_SECONDS, f"the lab took {elapsed:.2f} s; in parallel it must finish within 3.9 s"
    run = response.json()
    results = {r["model"]: r for r in run["results"]}
    assert list(results) == THREE
    assert len({r["refinedPrompt"] for r in results.values()}) == 3  # three distinct results
    for model, delay in delays.items():
        assert delay * 1000 <= results[model]["latencyMs"] < delay * 1000 + 800, results[model]
        assert results[model]["provider"] == "scripted" and results[model]["usage"]["completion_tokens"] == 150
    assert run["elapsedMs"] < LAB_BOUND_SECONDS * 1000

    adopted = client.post(
        f"/prompt-lab/runs/{run['id']}/adopt", json={"model": "claude-opus-4.6", "workflowId": workflow_id}
    )
    assert adopted.status_code == 200, adopted.text
    iterations = adopted.json()["refinementIterations"]
    assert [i["iteration"] for i in iterations] == [1, 2]
    assert iterations[1]["model"] == "claude-opus-4.6" and iterations[1]["labRunId"] == run["id"]
    assert iterations[1]["refinedPrompt"] == results["claude-opus-4.6"]["refinedPrompt"]
    assert adopted.json()["finalRefinedPrompt"] == results["claude-opus-4.6"]["refinedPrompt"]
    again = client.get(f"/prompt-lab/runs/{run['id']}").json()
    assert {r["model"]: r["adoptedInto"] for r in again["results"]}["claude-opus-4.6"] == [workflow_id]


def test_offline_the_three_models_give_three_different_labelled_results(api_server: ApiServer):
    _, client = api_server.user_client()
    estimate = client.post("/prompt-lab/estimate", json={"brief": "A lighthouse keeper's last night", "models": THREE})
    assert estimate.status_code == 200 and [e["amountUsd"] for e in estimate.json()] == [0.0, 0.0, 0.0]

    run = client.post("/prompt-lab/runs", json={"brief": "A lighthouse keeper's last night", "models": THREE}).json()

    results = {r["model"]: r for r in run["results"]}
    assert all(r["provider"] == "offline" and r["offline"] for r in results.values())
    assert len({r["refinedPrompt"] for r in results.values()}) == 3
    assert results["gpt-4o"]["refinedPrompt"].startswith("SHOT LIST")
    assert (
        results["gemini-3.1-pro"]["refinedPrompt"].startswith("BEATS")
        and "[0:00–" in results["gemini-3.1-pro"]["refinedPrompt"]
    )
    assert "lens" in results["claude-opus-4.6"]["refinedPrompt"]
    assert run["totalCostUsd"] == 0.0


def test_history_is_newest_first_searchable_rated_and_exported(api_server: ApiServer):
    _, client = api_server.user_client()
    _, stranger = api_server.user_client()
    first = client.post("/prompt-lab/runs", json={"brief": "Harbour at dawn", "models": THREE[:2]}).json()
    second = client.post("/prompt-lab/runs", json={"brief": "Desert rally at noon", "models": THREE[1:]}).json()
    client.post(f"/prompt-lab/runs/{first['id']}/rate", json={"model": "gpt-4o", "starred": True, "note": "crisp"})

    listed = client.get("/prompt-lab/runs").json()
    assert [r["id"] for r in listed["items"]] == [second["id"], first["id"]] and listed["total"] == 2
    assert [r["id"] for r in client.get("/prompt-lab/runs", params={"q": "harbour"}).json()["items"]] == [first["id"]]
    assert [r["id"] for r in client.get("/prompt-lab/runs", params={"q": "crisp"}).json()["items"]] == [first["id"]]
    assert stranger.get("/prompt-lab/runs").json()["total"] == 0
    assert stranger.get(f"/prompt-lab/runs/{first['id']}").status_code == 403

    exported = client.get("/prompt-lab/runs/export", params={"format": "json"})
    assert exported.headers["content-type"].startswith("application/json")
    assert [r["id"] for r in exported.json()] == [second["id"], first["id"]]
    rows = list(csv.DictReader(io.StringIO(client.get("/prompt-lab/runs/export", params={"format": "csv"}).text)))
    assert len(rows) == 4
    starred = [r for r in rows if r["starred"] == "yes"]
    assert [(r["runId"], r["model"], r["note"], r["offline"]) for r in starred] == [(first["id"], "gpt-4o", "crisp", "yes")]


def test_a_new_workflow_starts_from_a_result(api_server: ApiServer):
    _, client = api_server.user_client()
    run = client.post(
        "/prompt-lab/runs", json={"brief": "Night market food tour", "models": THREE[:2], "title": "Market"}
    ).json()
    created = client.post(f"/prompt-lab/runs/{run['id']}/start-workflow", json={"model": "claude-opus-4.6"})
    assert created.status_code == 201, created.text
    workflow = created.json()
    assert workflow["title"] == "Market" and workflow["initialPrompt"] == "Night market food tour"
    assert workflow["currentStep"] == "PROMPT_REFINEMENT" and workflow["refinementIterations"][0]["labRunId"] == run["id"]


def test_each_model_of_a_run_counts_as_one_refinement_against_the_limit(make_api_server: Callable[..., ApiServer]):
    server = make_api_server(RATE_LIMIT_REFINEMENT="5/minute")
    _, client = server.user_client()
    body = {"brief": "A kite festival", "models": THREE}
    assert client.post("/prompt-lab/runs", json=body).status_code == 201  # 3 of 5
    refused = client.post("/prompt-lab/runs", json=body)  # 6 > 5
    assert refused.status_code == 429 and refused.json()["operation"] == "refinement"


def test_bad_runs_are_refused_with_a_reason(api_server: ApiServer):
    _, client = api_server.user_client()
    assert client.post("/prompt-lab/runs", json={"brief": "x", "models": ["gpt-4o"]}).status_code == 422
    assert client.post("/prompt-lab/runs", json={"brief": "x", "workflowId": "abc", "models": THREE}).status_code == 422
    unknown = client.post("/prompt-lab/runs", json={"brief": "x", "models": ["gpt-4o", "gpt-99"]})
    assert unknown.status_code == 422 and "gpt-99" in unknown.json()["detail"]
    same = client.post("/prompt-lab/runs", json={"brief": "x", "models": ["gpt-4o", "gpt-4o"]})
    assert same.status_code == 422 and "different" in same.json()["detail"]
