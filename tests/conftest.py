"""Shared fixtures: a real embedded SecantusDB server, per-test databases, and a network guard."""

from __future__ import annotations

import functools
import ipaddress
import socket
import subprocess
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from pymongo import MongoClient
from pymongo.database import Database

from services.bootstrap import build_dispatcher, build_job_runner, build_model_registry
from services.core.clock import utc_now
from services.core.settings import Settings
from services.jobs.store import ensure_job_indexes
from services.providers.registry import ModelRegistry
from services.storage.embedded_db import IN_MEMORY, EmbeddedDatabase
from services.storage.selection import build_media_store
from services.studio.service import VideoWorkflowService
from services.workflows.campaigns import CampaignService, ensure_campaign_indexes
from services.workflows.prompt_cache import PromptCache
from services.workflows.repository import MongoWorkflowRepository, ensure_indexes
from services.workflows.writer import EventSink
from tests.support import log_audit
from tests.support.network import free_port

_real_connect = socket.socket.connect


def pytest_configure(config: pytest.Config) -> None:
    """Capture every log line of the session, and remember every secret it uses, for the log audit."""
    log_audit.start_capture()
    log_audit.watch_secrets()


# The fixtures of the API and UI tiers, shared with the end-to-end tier that drives the same servers and pages.
pytest_plugins = ("tests.support.api_fixtures", "tests.support.ui_fixtures")


# The end-to-end tier's longest tests (a minute or more each on the 2-core machine), by file, longest first.
LONGEST_E2E_FILES = (
    "test_api_fuzz.py",
    "test_kill_recovery.py",
    "test_browser_end_to_end.py",
    "test_pip_fallback_install.py",
    "test_browser_review.py",
    "test_browser_dialog.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the end-to-end tier (tests/e2e) and order the run: the end-to-end tier first, its longest files first,
    then the other tiers' files in a fixed shuffled order, and tests marked runs_last at the end (a file's tests keep
    their order, so module fixtures are built once).

    When one session runs every tier on several processes (`make test`), the long end-to-end tests start at once
    and the many short tests fill the cores around them, instead of the long ones trailing at the end. The shuffle
    (by a hash of the file's path) spreads the files whose tests mostly wait (sign-in windows, event streams, timed
    renders, which sit together in tests/api) among the busy ones, so the cores are not idle while they wait.
    """
    e2e = Path(__file__).resolve().parent / "e2e"
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(e2e):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=_run_order)


def _run_order(item: pytest.Item) -> tuple[int, int]:
    if item.get_closest_marker("runs_last") is not None:
        return (2, 0)
    if item.get_closest_marker("e2e") is None:
        return (1, zlib.crc32(str(Path(str(item.path)).relative_to(Path(__file__).parent)).encode()))
    name = Path(str(item.path)).name
    return (0, LONGEST_E2E_FILES.index(name) if name in LONGEST_E2E_FILES else len(LONGEST_E2E_FILES))


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # Unix sockets
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise AssertionError(f"Tests must not reach the network; tried to connect to {address!r}")
    _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def no_outbound_network() -> Iterator[None]:
    """Fail any test that tries a real outbound connection (loopback is fine)."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real SecantusDB server (in memory) for the whole test session."""
    log_path = tmp_path_factory.mktemp("db") / "secantus.log"
    server = EmbeddedDatabase(storage_path=IN_MEMORY, port=free_port(), log_path=log_path)
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (Debian's) on loopback for the session, with no persistence."""
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def db(mongo_uri: str) -> Iterator[Database]:
    """A fresh database per test, with the app's indexes."""
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True)
    name = f"test_{uuid.uuid4().hex[:12]}"
    database = client[name]
    ensure_indexes(database)
    ensure_job_indexes(database)
    yield database
    client.drop_database(name)
    client.close()


@pytest.fixture(scope="session")
def default_settings() -> Settings:
    """Default settings, isolated from any .env on the machine, validated once (about 15 ms of CPU per build)."""
    return Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def settings(default_settings: Settings, tmp_path: Path) -> Settings:
    """The default settings with this test's own DATA_DIR (every path setting derives from it)."""
    return default_settings.model_copy(update={"DATA_DIR": tmp_path / "data"})


@pytest.fixture
def make_service(db: Database, settings: Settings) -> Callable[..., VideoWorkflowService]:
    """Build a service on the test database; pass models= or settings overrides to change parts."""

    def build(
        models: ModelRegistry | None = None,
        *,
        dispatched: bool = False,
        prompt_cache: PromptCache | None = None,
        events: EventSink | None = None,
        **overrides: object,
    ) -> VideoWorkflowService:
        # Validated like the environment would be, so "5/hour" or a SecretStr arrive in their real types.
        effective = Settings(_env_file=None, **{**settings.model_dump(), **overrides}) if overrides else settings  # type: ignore[call-arg]
        ensure_campaign_indexes(db)
        return VideoWorkflowService(
            repository=MongoWorkflowRepository(db),
            media=build_media_store(effective, db),  # files unless MEDIA_STORE=gridfs is passed
            models=models or build_model_registry(effective),
            jobs=build_job_runner(db, effective),
            settings=effective,
            campaigns=CampaignService(db, clock=utc_now),
            # dispatched: jobs go to JOB_BACKEND's dispatcher (not started here); otherwise they run in the call.
            dispatch=functools.partial(build_dispatcher, effective) if dispatched else None,
            prompt_cache=prompt_cache,
            events=events,
        )

    return build


@pytest.fixture
def service(make_service: Callable[..., VideoWorkflowService]) -> VideoWorkflowService:
    """The service with the offline providers."""
    return make_service()
