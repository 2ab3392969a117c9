"""The app's MongoDB client: MONGODB_URI, or the embedded SecantusDB server (started here, and supervised)."""

from __future__ import annotations

from pymongo import MongoClient

from services.core import metrics
from services.core.settings import Settings
from services.storage.db_supervisor import DatabaseSupervisor
from services.storage.embedded_db import EmbeddedDatabase


def supervise(embedded: EmbeddedDatabase | None) -> DatabaseSupervisor | None:
    """A supervisor for a database this process started; a server it only connected to is reported, not restarted."""
    if embedded is None or not embedded.owned:
        return None
    return DatabaseSupervisor(embedded, on_restart=metrics.embedded_db_restarted)


def connect(settings: Settings) -> tuple[MongoClient, EmbeddedDatabase | None]:
    """A client for MONGODB_URI, or for the embedded server (started here when none runs)."""
    embedded = None
    if settings.MONGODB_URI is not None:
        uri = settings.MONGODB_URI.get_secret_value()
    else:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedDatabase(
            storage_path=settings.embedded_db_dir.resolve(),
            host=settings.EMBEDDED_DB_HOST,
            port=settings.EMBEDDED_DB_PORT,
            log_path=settings.DATA_DIR / "embedded-db.log",
            start_timeout=settings.EMBEDDED_DB_START_TIMEOUT_SECONDS,
            cache_size=settings.EMBEDDED_DB_CACHE_SIZE,
        )
        uri = embedded.start()
    client: MongoClient = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    return client, embedded
