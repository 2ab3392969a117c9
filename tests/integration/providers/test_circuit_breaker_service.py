"""A provider that answers 503 to everything: the breaker opens, fails fast, probes, and closes when it recovers."""

from __future__ import annotations

import time

import pytest

from services.bootstrap import build_job_runner
from services.core.errors import StepFailedError
from services.providers.circuit_breaker import CircuitOpenError
from services.providers.wiring import build_registry
from services.storage.media_store import FileMediaStore
from services.studio.service import VideoWorkflowService
from services.workflows.domain import WorkflowStatus
from services.workflows.repository import MongoWorkflowRepository
from tests.support.briefs import a_brief
from tests.support.providers import (
    Recorder,
    a_refinement_request,
    chat_completion,
    poe_error,
    provider_settings,
    transports,
)

USER = "user-alice"
COOLDOWN = 1.0


def test_a_failing_provider_opens_the_breaker_then_one_probe_after_the_cooldown_and_recovery_closes_it(db, tmp_path):
    down = poe_error(503, "Service Unavailable")
    poe = Recorder(down)
    settings = provider_settings(tmp_path, PROVIDER_MAX_ATTEMPTS=1, CIRCUIT_BREAKER_COOLDOWN_SECONDS=COOLDOWN)
    service = VideoWorkflowService(
        repository=MongoWorkflowRepository(db),
        media=FileMediaStore(settings.media_dir),
        settings=settings,
        jobs=build_job_runner(db, settings),
        models=build_registry(settings, transports=transports(poe=poe)),
    )
    workflow = service.create_workflow(user_id=USER, brief=a_brief(refinement_model="gpt-4o"))

    def refine():  # type: ignore[no-untyped-def]
        return service.refine_prompt(user_id=USER, workflow_id=workflow.id)

    for _ in range(5):
        with pytest.raises(StepFailedError):
            refine()
    assert len(poe.requests) == 5

    provider = service.models.refiner("gpt-4o").implementation
    started = time.perf_counter()
    with pytest.raises(CircuitOpenError, match=r"poe \(gpt-4o\) failed 5 times in a row.*tried again in 1 s"):
        provider.refine(a_refinement_request())
    assert time.perf_counter() - started < 0.05, "the sixth provider call fails fast"
    with pytest.raises(StepFailedError, match=r"poe \(gpt-4o\) failed 5 times in a row"):
        refine()  # and the workflow says so
    assert len(poe.requests) == 5, "nothing was sent while the circuit is open"
    assert service.get_workflow(user_id=USER, workflow_id=workflow.id).status is WorkflowStatus.FAILED

    time.sleep(COOLDOWN + 0.1)
    with pytest.raises(StepFailedError):
        refine()  # the one probe, still failing
    assert len(poe.requests) == 6
    with pytest.raises(StepFailedError, match="failed 5 times in a row"):
        refine()  # open again for another cooldown
    assert len(poe.requests) == 6

    time.sleep(COOLDOWN + 0.1)
    poe.answers = [chat_completion("A neon dawn run, recovered.")]
    recovered = refine()  # the workflow's retry succeeds once the provider is back
    assert recovered.final_refined_prompt == "A neon dawn run, recovered."
    assert recovered.status is not WorkflowStatus.FAILED
    assert service.models.breakers.for_model("poe", "gpt-4o").state == "closed"
    assert len(poe.requests) == 7
