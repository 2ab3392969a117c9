"""Schemathesis fuzzes the live server through its served /api/openapi.json with a valid token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from services.core.clock import utc_now
from services.webhooks.outgoing import OutgoingWebhooks, ensure_webhook_indexes
from tests.support.api_fixtures import ApiServer

EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "200"))
SECURITY_EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_SECURITY_EXAMPLES", "100"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "allow_header_conformance",
    ]
)


@pytest.mark.timeout(900)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(make_api_server, tmp_path: Path):
    # Generous limits: the fuzzer should explore the API, not spend its examples on 429s.
    server: ApiServer = make_api_server(
        RATE_LIMIT_PER_IP="1000000/minute",
        RATE_LIMIT_LOGIN_PER_IP="1000000/minute",
        RATE_LIMIT_FRAMES="1000000/minute",
        RATE_LIMIT_VIDEO="1000000/minute",
        RATE_LIMIT_REFINEMENT="1000000/minute",
        # Short renders: linked requests can reach generate-video, and the
        # contract, not render time, is under test here.
        MAX_VIDEO_DURATION=2,
        MAX_VIDEO_FPS=12,
        DEFAULT_VIDEO_FPS=12,
        MAX_FRAME_COUNT=3,
    )
    _, tokens = server.sign_up()
    _fuzz(server, tokens["accessToken"], tmp_path, examples=EXAMPLES_PER_OPERATION)


@pytest.mark.timeout(900)
def test_the_security_endpoints_survive_fuzzing_with_their_real_limits(make_api_server, db, tmp_path: Path):
    """Sign-in, refresh, logout, API keys and callback URLs, with the default login limit and account lock on."""
    server: ApiServer = make_api_server(RATE_LIMIT_PER_IP="1000000/minute")
    ensure_webhook_indexes(db)
    server.runtime.callbacks = OutgoingWebhooks(  # every name resolves to a public address; nothing is sent
        db,
        keys={"k1": b"k" * 32},
        http=httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204))),
        resolver=lambda host: ["93.184.216.34"],
        clock=utc_now,
    )
    _, tokens = server.sign_up()
    _fuzz(
        server,
        tokens["accessToken"],
        tmp_path,
        examples=SECURITY_EXAMPLES_PER_OPERATION,
        extra=["--include-path-regex", "^/(auth|api-keys|webhook-endpoints)"],
    )


def _fuzz(server: ApiServer, token: str, tmp_path: Path, *, examples: int, extra: list[str] | None = None) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{server.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        # One worker: with two, Hypothesis' lambda-source inspection races ("AST constructor recursion depth
        # mismatch") and schemathesis reports a Runtime Error that has nothing to do with the API.
        "--max-examples",
        str(examples),
        "--checks",
        CHECKS,
        "--workers",
        "1",
        "--seed",
        os.environ.get("API_FUZZ_SEED", "1"),
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "60",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        *(extra or []),
    ]
    # Run in tmp_path: schemathesis keeps a cache of crashes in its working directory.
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=840, cwd=tmp_path, env={**os.environ, "SCHEMATHESIS_HOOKS": ""}
    )
    print(result.stdout[-1500:])  # the summary: operations, phases, cases generated
    assert result.returncode == 0, result.stdout[:20000] + result.stderr[-2000:]
