"""Open /events streams hold no thread: 60 of them leave the API responsive; a user's sixth is refused."""

from __future__ import annotations

import json
import socket
import statistics
import time
from urllib.parse import urlsplit

from tests.support.api_fixtures import SHORT_BRIEF, ApiServer

USERS, STREAMS_PER_USER = 12, 5


def processing_workflow(server: ApiServer, client) -> str:  # type: ignore[no-untyped-def]
    """A workflow stuck in PROCESSING (as while a long video renders), so its stream stays open."""
    workflow_id = client.post("/video-workflows", json=SHORT_BRIEF).json()["id"]
    server.runtime.db["video_workflows"].update_one({"_id": workflow_id}, {"$set": {"status": "PROCESSING"}})
    return workflow_id


def open_stream(server: ApiServer, token: str, workflow_id: str, *, last_event_id: str | None = None) -> socket.socket:
    """A raw client holding GET .../events open after its headers arrived (asserted 200)."""
    status, sock, _ = _request(server, token, workflow_id, last_event_id=last_event_id)
    assert status == 200, status
    return sock


def _request(server: ApiServer, token: str, workflow_id: str, *, last_event_id: str | None = None):  # type: ignore[no-untyped-def]
    url = urlsplit(server.base_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=30)
    extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id else ""
    sock.sendall(
        f"GET {url.path}/video-workflows/{workflow_id}/events HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\nConnection: close\r\n{extra}\r\n".encode()
    )
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection before answering"
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), sock, rest


def first_event(sock: socket.socket, already: bytes = b"") -> tuple[str, dict]:
    """The id and data of the first event on an open stream."""
    buffer = already
    while b"\n\n" not in buffer.replace(b"\r\n", b"\n"):
        buffer += sock.recv(65536)
    fields = dict(
        line.split(": ", 1) for line in buffer.decode().replace("\r\n", "\n").split("\n\n")[0].splitlines() if ": " in line
    )
    return fields["id"], json.loads(fields["data"])


def test_sixty_open_streams_leave_health_fast_and_a_sixth_per_user_is_refused(api_server: ApiServer):
    users = []
    for _ in range(USERS):
        _, tokens = api_server.sign_up()
        client = api_server.client(tokens["accessToken"])
        users.append((tokens["accessToken"], processing_workflow(api_server, client)))
    streams = [open_stream(api_server, token, workflow) for token, workflow in users for _ in range(STREAMS_PER_USER)]
    try:
        assert api_server.runtime.api.streams.total() == USERS * STREAMS_PER_USER
        health = api_server.client()
        timings = []
        for _ in range(50):
            started = time.perf_counter()
            assert health.get("/health").status_code == 200
            timings.append(time.perf_counter() - started)
        p95 = statistics.quantiles(timings, n=20)[18]
        assert p95 < 0.2, f"/api/health p95 {p95 * 1000:.0f} ms with 60 streams open"

        token, workflow = users[0]
        status, sixth, _ = _request(api_server, token, workflow)
        sixth.close()
        assert status == 429, "a sixth stream of one user is refused"
    finally:
        for stream in streams:
            stream.close()
    deadline = time.monotonic() + 2
    while api_server.runtime.api.streams.total() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert api_server.runtime.api.streams.total() == 0, "closing the clients frees every stream within 2 s"
    open_stream(api_server, *users[0]).close()  # and the user may open one again


def test_a_client_that_reconnects_with_last_event_id_is_not_sent_what_it_has(make_api_server):
    server: ApiServer = make_api_server(EVENT_STREAM_MAX_SECONDS=1)
    _, tokens = server.sign_up()
    client = server.client(tokens["accessToken"])
    workflow = processing_workflow(server, client)
    status, sock, rest = _request(server, tokens["accessToken"], workflow)
    event_id, snapshot = first_event(sock, rest)
    assert status == 200 and snapshot["status"] == "PROCESSING"
    sock.settimeout(10)
    started = time.monotonic()
    while sock.recv(65536):  # the stream ends at EVENT_STREAM_MAX_SECONDS though the workflow still runs
        pass
    assert time.monotonic() - started < 5
    sock.close()

    status, again, rest = _request(server, tokens["accessToken"], workflow, last_event_id=event_id)
    again.settimeout(3)
    body = rest
    while chunk := again.recv(65536):
        body += chunk
    again.close()
    assert b"event: progress" not in body, "nothing changed since Last-Event-ID, so nothing is re-sent"
    server.runtime.db["video_workflows"].update_one({"_id": workflow}, {"$set": {"status": "WAITING_USER_INPUT"}})
    status, third, rest = _request(server, tokens["accessToken"], workflow, last_event_id=event_id)
    assert first_event(third, rest)[1]["status"] == "WAITING_USER_INPUT"
    third.close()
