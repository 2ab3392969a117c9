"""The one place that wires settings, database, media store, providers and the service together."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.api_services import ApiServices, build_api_services
from services.embedded_db import EmbeddedDatabase
from services.media_store import FileMediaStore, MediaStore
from services.providers.offline_animatic import OfflineAnimaticRenderer
from services.providers.offline_refiner import OfflineRefiner
from services.providers.offline_storyboard import OfflineStoryboardRenderer
from services.providers.registry import OFFLINE_MODEL_IDS, SPEC_MODEL_IDS, ModelRegistry, ModelRole
from services.repository import MongoWorkflowRepository, ensure_indexes
from services.settings import Settings, load_settings
from services.users import UserService, ensure_user_indexes
from services.workflow_service import VideoWorkflowService, utc_now

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything one app process holds for its lifetime."""

    settings: Settings
    client: MongoClient
    db: Database
    media: MediaStore
    models: ModelRegistry
    service: VideoWorkflowService
    users: UserService
    embedded: EmbeddedDatabase | None = None
    api: ApiServices | None = None  # the REST API's tokens, keys, limits and idempotency
    _closed: bool = field(default=False, repr=False)

    def database_ok(self) -> bool:
        """True when the database answers a ping."""
        try:
            self.db.command("ping")
            return True
        except PyMongoError:
            return False

    def close(self) -> None:
        """Close the client and stop the embedded database if this process started it."""
        if self._closed:
            return
        self._closed = True
        self.client.close()
        if self.embedded is not None:
            self.embedded.stop()


def build_model_registry(settings: Settings) -> ModelRegistry:
    """Offline providers serve every model id until real providers are configured."""
    registry = ModelRegistry()
    offline = {
        ModelRole.REFINEMENT: OfflineRefiner(),
        ModelRole.FRAMES: OfflineStoryboardRenderer(),
        ModelRole.VIDEO: OfflineAnimaticRenderer(),
    }
    for role, implementation in offline.items():
        for model_id in SPEC_MODEL_IDS[role]:
            registry.register(role, model_id, provider_name="offline", implementation=implementation)
        registry.register(role, OFFLINE_MODEL_IDS[role], provider_name="offline", implementation=implementation)
    return registry


def connect(settings: Settings) -> tuple[MongoClient, EmbeddedDatabase | None]:
    """A client for MONGODB_URI, or for the embedded server (started here when none runs)."""
    embedded = None
    if settings.MONGODB_URI is not None:
        uri = settings.MONGODB_URI.get_secret_value()
    else:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedDatabase(
            storage_path=settings.embedded_db_dir.resolve(), host=settings.EMBEDDED_DB_HOST,
            port=settings.EMBEDDED_DB_PORT, log_path=settings.DATA_DIR / "embedded-db.log",
            start_timeout=settings.EMBEDDED_DB_START_TIMEOUT_SECONDS,
        )
        uri = embedded.start()
    client: MongoClient = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    return client, embedded


def start_runtime(settings: Settings | None = None) -> Runtime:
    """Connect (or start) the database, ensure indexes and build the service."""
    settings = settings or load_settings()
    client, embedded = connect(settings)
    db = client[settings.MONGODB_DATABASE]
    ensure_indexes(db)
    ensure_user_indexes(db)
    media = FileMediaStore(settings.media_dir)
    models = build_model_registry(settings)
    service = VideoWorkflowService(repository=MongoWorkflowRepository(db), media=media, models=models,
                                   settings=settings)
    return Runtime(settings=settings, client=client, db=db, media=media, models=models, service=service,
                   users=UserService(db, clock=utc_now), embedded=embedded,
                   api=build_api_services(settings, db, clock=utc_now))


_lock = threading.Lock()
_current: Runtime | None = None


def get_runtime() -> Runtime:
    """The process's runtime, started on first use (the ASGI lifespan starts it eagerly)."""
    global _current
    with _lock:
        if _current is None:
            _current = start_runtime()
        return _current


def install_runtime(runtime: Runtime | None) -> None:
    """Use this runtime for the process (tests install one on a temporary database)."""
    global _current
    with _lock:
        _current = runtime


def shutdown_runtime() -> None:
    """Close the process's runtime, if one was started."""
    global _current
    with _lock:
        if _current is not None:
            _current.close()
            _current = None
