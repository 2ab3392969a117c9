"""Idempotency-Key on generation endpoints: replay, mismatch, and in-flight conflict."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from services.accounts.idempotency import IDEMPOTENCY_KEYS
from tests.support.api_fixtures import ApiServer, Scripted, workflow_at
from tests.support.fakes import ScriptedFrameGenerator


def _refined_workflow(make_api_server: Callable[..., ApiServer], scripted: Scripted, action: str):
    """A client and the URL of `action` on one of its refined workflows, served with scripted providers."""
    server = make_api_server(scripted.registry)
    _, client = server.user_client()
    return server, client, f"/video-workflows/{workflow_at(client, 'refined')}/{action}"


def test_the_same_key_and_body_return_the_same_response_without_a_second_generation(make_api_server):
    scripted = Scripted()
    _, client, url = _refined_workflow(make_api_server, scripted, "generate-frames")

    first = client.post(url, json={"frameCount": 2}, headers={"Idempotency-Key": "frames-1"})
    again = client.post(url, json={"frameCount": 2}, headers={"Idempotency-Key": "frames-1"})

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(scripted.frames.history) == 2


def test_the_same_key_with_another_body_gets_422(make_api_server):
    scripted = Scripted()
    _, client, url = _refined_workflow(make_api_server, scripted, "refine-prompt")
    assert client.post(url, json={"additionalInfo": "dusk"}, headers={"Idempotency-Key": "k"}).status_code == 200

    other = client.post(url, json={"additionalInfo": "dawn"}, headers={"Idempotency-Key": "k"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert len(scripted.refiner.history) == 2  # workflow_at's round and the first keyed one


def test_the_same_key_while_the_first_request_runs_gets_409(make_api_server: Callable[..., ApiServer]):
    scripted = Scripted(frames=ScriptedFrameGenerator(delay=1.5))
    server, client, url = _refined_workflow(make_api_server, scripted, "generate-frames")
    results: list[int] = []
    first = threading.Thread(
        target=lambda: results.append(
            client.post(url, json={"frameCount": 1}, headers={"Idempotency-Key": "slow"}).status_code
        )
    )
    first.start()
    deadline = time.monotonic() + 10
    while server.runtime.db[IDEMPOTENCY_KEYS].count_documents({"state": "running"}) == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)

    second = client.post(url, json={"frameCount": 1}, headers={"Idempotency-Key": "slow"})
    first.join()
    assert second.status_code == 409 and second.json()["code"] == "idempotency_key_in_use"
    assert results == [200] and len(scripted.frames.history) == 1
    replay = client.post(url, json={"frameCount": 1}, headers={"Idempotency-Key": "slow"})
    assert replay.status_code == 200 and len(scripted.frames.history) == 1


def test_a_failed_request_frees_its_key_for_a_retry(make_api_server):
    scripted = Scripted(frames=ScriptedFrameGenerator(fail_frames={0}))
    _, client, url = _refined_workflow(make_api_server, scripted, "generate-frames")
    failed = client.post(url, json={"frameCount": 1}, headers={"Idempotency-Key": "retry-me"})
    assert failed.status_code == 502 and failed.json()["retryable"] is True
    scripted.frames.fail_frames.clear()
    assert client.post(url, json={"frameCount": 1}, headers={"Idempotency-Key": "retry-me"}).status_code == 200
