"""Structured logs: the format LOG_FORMAT asks for, request and workflow ids on each line, secrets masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from services.core.log_setup import MASK, Redactor, bound, configure_logging, secret_values
from services.core.settings import Settings
from services.workflows.rules import FrameReview
from tests.support import log_audit
from tests.support.api_fixtures import SHORT_BRIEF, ApiServer, Scripted
from tests.support.briefs import a_brief
from tests.support.fakes import scripted_registry
from tests.support.worker_processes import wait_for

REPLICATE_TOKEN = "r8_" + "Zq3" * 10


@pytest.fixture
def captured(settings: Settings) -> Iterator[Callable[..., list[dict]]]:
    """configure_logging in JSON onto a buffer; returns a reader of the lines written so far."""
    buffer = io.StringIO()
    json_settings = Settings(
        _env_file=None,
        **{
            **settings.model_dump(),
            "LOG_FORMAT": "json",  # type: ignore[call-arg]
            "REPLICATE_API_KEY": REPLICATE_TOKEN,
        },
    )
    handler = configure_logging(json_settings, stream=buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


def test_json_lines_carry_the_bound_request_and_workflow_ids(captured):
    log = logging.getLogger("services.example")
    with bound(request_id="req-1", workflow_id="wf-1"):
        log.warning("inside the request")
    log.warning("outside any request")
    inside, outside = captured()
    assert (inside["request_id"], inside["workflow_id"], inside["level"]) == ("req-1", "wf-1", "WARNING")
    assert (outside["request_id"], outside["workflow_id"]) == ("-", "-")


def test_every_api_line_of_a_request_has_its_request_id_and_workflow_id(captured, api_server: ApiServer):
    _, client = api_server.user_client()
    workflow_id = client.post("/video-workflows", json=SHORT_BRIEF).json()["id"]
    response = client.post(f"/video-workflows/{workflow_id}/refine-prompt", json={}, headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "trace-42"
    # The access line is written once the response is sent, so the client can read the body before it exists.
    lines = wait_for(lambda: _with_access_line(request_lines(captured(), "trace-42")), timeout=5, every=0.01)
    assert all(line["workflow_id"] == workflow_id for line in lines), (workflow_id, lines)
    assert any(line["logger"] == "api.access" and "refine-prompt 200" in line["message"] for line in lines)


def request_lines(lines: list[dict], request_id: str) -> list[dict]:
    return [line for line in lines if line["request_id"] == request_id]


def _with_access_line(lines: list[dict]) -> list[dict] | None:
    return lines if any(line["logger"] == "api.access" for line in lines) else None


def test_a_failing_job_logs_its_workflow_and_job_but_not_the_token_in_the_error(captured, make_service):
    scripted = Scripted()
    scripted.video.failures.append(RuntimeError(f"upstream said: Authorization: Bearer {REPLICATE_TOKEN}"))
    service = make_service(scripted_registry(scripted.refiner, scripted.frames, scripted.video))
    workflow = service.create_workflow(user_id="u1", brief=a_brief(duration=1))
    service.refine_prompt(user_id="u1", workflow_id=workflow.id)
    service.generate_frames(user_id="u1", workflow_id=workflow.id, frame_count=1)
    service.review_frames(user_id="u1", workflow_id=workflow.id, reviews=[FrameReview(0, True)])
    with log_audit.paused(), pytest.raises(Exception, match="failed unexpectedly"):  # a deliberate leak
        service.generate_video(user_id="u1", workflow_id=workflow.id, duration=1, fps=12)
    failure = next(line for line in captured() if "failed unexpectedly" in line["message"])
    assert failure["workflow_id"] == workflow.id and failure["job_id"] != "-"
    assert REPLICATE_TOKEN not in json.dumps(captured()) and MASK in failure.get("exc_info", "")


def test_the_redactor_masks_known_secrets_and_credential_shapes():
    redact = Redactor(["pa55word-of-alice"])
    line = redact(
        "login pa55word-of-alice key=vwsk_abcdefghijklmnop jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln "
        "Authorization: Bearer abc.def.ghi1234 secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ok"
    )
    assert line.count(MASK) == 5 and line.startswith("login [redacted]") and line.endswith(" ok"), line


def test_secret_settings_give_their_secrets_but_not_their_ids_or_server_addresses():
    settings = Settings(
        _env_file=None,
        JWT_SIGNING_KEYS=SecretStr("k1:" + "s" * 40 + ",k0:" + "t" * 40),  # type: ignore[call-arg]
        MONGODB_URI=SecretStr("mongodb://app:hunter2-long@db.internal:27017/studio"),
        REDIS_URL=SecretStr("redis://127.0.0.1:6379/0"),
    )
    values = secret_values(settings)
    assert {"s" * 40, "t" * 40, "hunter2-long"} <= set(values)
    assert not {"k1", "k0", "127.0.0.1", "redis://127.0.0.1:6379/0"} & set(values)
