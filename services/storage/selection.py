"""Which media store a process uses: MEDIA_STORE, or GridFS whenever processes may run on several hosts."""

from __future__ import annotations

from pymongo.database import Database

from services.core.settings import Settings
from services.storage.gridfs_store import GridFSMediaStore
from services.storage.media_store import FileMediaStore, MediaStore


def build_media_store(settings: Settings, db: Database) -> MediaStore:
    """The configured store: files under MEDIA_DIR, or GridFS in the database (local scratch under DATA_DIR)."""
    if settings.media_store_kind == "gridfs":
        return GridFSMediaStore(db, scratch_dir=settings.DATA_DIR / "media-scratch")
    return FileMediaStore(settings.media_dir)
