"""API test fixtures: a real uvicorn server on loopback, on a runtime built over the test database."""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from limits.storage import Storage
from pymongo.database import Database
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from api.main import api_routes
from services.accounts.rate_limits import ClockedMemoryStorage
from services.bootstrap import Runtime, bootstrap
from services.core.settings import Settings
from services.core.tls import shared_tls_context
from services.providers.registry import ModelRegistry
from services.webhooks.outgoing import OutgoingWebhooks
from tests.support.fakes import ScriptedFrameGenerator, ScriptedRefiner, ScriptedVideoGenerator, scripted_registry
from tests.support.network import free_port

PASSWORD = "correct horse battery"


class FakeClock:
    """Wall-clock seconds that tests move by hand (for rate-limit windows)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class ApiServer:
    base_url: str
    runtime: Runtime
    clock: FakeClock | None
    _clients: list[httpx.Client] = field(default_factory=list)

    def client(self, token: str | None = None, **headers: str) -> httpx.Client:
        """An HTTP client for the API, optionally authenticated with a bearer token."""
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=60, verify=shared_tls_context())
        self._clients.append(client)
        return client

    def sign_up(self, username: str | None = None) -> tuple[str, dict]:
        """A new user and the token response for them (through POST /api/auth/token)."""
        name = username or f"user-{uuid.uuid4().hex[:8]}"
        user = self.runtime.users.register(username=name, password=PASSWORD, name=name.title())
        response = self.client().post("/auth/token", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return user.id, response.json()

    def user_client(self) -> tuple[str, httpx.Client]:
        """A new user's id and a client carrying their access token."""
        user_id, tokens = self.sign_up()
        return user_id, self.client(tokens["accessToken"])


_serving: ContextVar[Runtime] = ContextVar("serving_runtime")


@functools.cache
def _shared_api() -> Starlette:
    """The API as app.py mounts it, built once per test process.

    FastAPI analyses every route's parameters and models when an app is built, about a third of the API tier's CPU
    when each test server built its own. The routes find their runtime through `runtime_provider`, so one app
    serves every test server, each request with the runtime of the server it arrived at.
    """
    return Starlette(routes=api_routes(_serving.get))


def serving(runtime: Runtime) -> ASGIApp:
    """The shared API, answering each request with this runtime."""
    api = _shared_api()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        token = _serving.set(runtime)
        try:
            await api(scope, receive, send)
        finally:
            _serving.reset(token)

    return app


def serve(app: ASGIApp) -> tuple[str, Callable[[], None]]:
    """Run the app with uvicorn in a thread on a free loopback port; returns its URL and a stop function."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", proxy_headers=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the test API server did not start"
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture
def make_api_server(db: Database, settings: Settings) -> Iterator[Callable[..., ApiServer]]:
    """Start the API (mounted at /api as in app.py); clocked=True moves rate-limit time by hand."""
    stops: list[Callable[[], None]] = []
    servers: list[ApiServer] = []

    def start(
        models: ModelRegistry | None = None,
        *,
        clocked: bool = False,
        callbacks: OutgoingWebhooks | None = None,
        dispatched: bool = False,
        **overrides: object,
    ) -> ApiServer:
        # Validated like the environment would be, so "5/hour" or a SecretStr arrive in their real types.
        effective = Settings(_env_file=None, **{**settings.model_dump(), **overrides}) if overrides else settings  # type: ignore[call-arg]
        clock = FakeClock() if clocked else None
        storage: Storage | None = ClockedMemoryStorage(clock.time) if clock else None
        # As the app is wired, except: no prompt cache, and jobs run inside the request unless dispatched (to
        # JOB_BACKEND's dispatcher, which the test starts, or leaves to worker processes).
        runtime = bootstrap(
            effective,
            db=db,
            models=models,
            callbacks=callbacks,
            rate_limit_storage=storage,
            wall_clock=clock.time if clock else time.time,
            bcrypt_rounds=4,
            inline_jobs=not dispatched,
            prompt_cache=False,
        )
        url, stop = serve(serving(runtime))
        stops.append(stop)
        server = ApiServer(base_url=f"{url}/api", runtime=runtime, clock=clock)
        servers.append(server)
        return server

    yield start
    for server in servers:
        for client in server._clients:
            client.close()
    for stop in stops:
        stop()


@pytest.fixture
def api_server(make_api_server: Callable[..., ApiServer]) -> ApiServer:
    """The API with offline providers and default settings."""
    return make_api_server()


@dataclass
class Scripted:
    """Scripted providers behind the default model ids; their history shows every provider call."""

    refiner: ScriptedRefiner = field(default_factory=ScriptedRefiner)
    frames: ScriptedFrameGenerator = field(default_factory=ScriptedFrameGenerator)
    video: ScriptedVideoGenerator = field(default_factory=ScriptedVideoGenerator)

    @property
    def registry(self) -> ModelRegistry:
        return scripted_registry(self.refiner, self.frames, self.video)


SHORT_BRIEF = {
    "title": "Short spot",
    "initialPrompt": "A cyclist at dawn",
    "metadata": {"duration": 1, "aspectRatio": "1:1"},
}


def workflow_at(client: httpx.Client, step: str) -> str:
    """A new workflow of the client's user, advanced to 'refined', 'framed' (one frame) or 'approved'."""
    workflow_id = client.post("/video-workflows", json=SHORT_BRIEF).json()["id"]
    stages = [
        ("refined", "refine-prompt", {}),
        ("framed", "generate-frames", {"frameCount": 1}),
        ("approved", "review-frames", {"frameReviews": [{"frameNumber": 0, "approved": True}]}),
    ]
    for name, action, body in stages:
        response = client.post(f"/video-workflows/{workflow_id}/{action}", json=body)
        assert response.status_code == 200, response.text
        if name == step:
            break
    return workflow_id
