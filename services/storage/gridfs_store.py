"""Media in GridFS, in the MongoDB every app server and worker already shares: one studio across hosts.

Same protocol and keys as `FileMediaStore`, in the standard GridFS layout (`media.files`, `media.chunks`),
so any driver's GridFS reads them. A file's chunks are written first and its `files` document last (GridFS's
own order; written here rather than through pymongo's GridIn, which buffers 32 MiB), and readers look files
up only through that document: a reader sees a whole file or none, even when the writer is killed mid-upload.
Such a writer leaves chunks without a document; the orphan sweep (`scripts/sweep_media.py`) removes them once
they are old enough not to be an upload still running.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bson import Binary, ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.core.errors import MediaStoreError
from services.storage.media_store import StoredMedia, check_key, content_type_of, missing, workflow_of_key

BUCKET = "media"
CHUNK_BYTES = 255 * 1024  # GridFS's default chunk: one chunk document per 255 KiB
READ_BATCH = 8  # chunks per cursor batch: about 2 MiB in memory while streaming out
# Chunks per insert while streaming in: about 2 MiB (pymongo's own GridIn buffers 32 MiB before writing).
WRITE_BATCH = 8
FILE_PIECE = 1024 * 1024  # bytes read from a local file per write


class _GridFSReader:
    """Reads a byte range straight from the chunks collection, a few chunks per round trip."""

    def __init__(self, store: GridFSMediaStore, document: dict[str, Any]) -> None:
        self.store = store
        self.file_id = document["_id"]
        self.chunk_size = int(document["chunkSize"])

    def read_range(self, start: int, length: int) -> Iterator[bytes]:
        if length <= 0:
            return
        first, last = start // self.chunk_size, (start + length - 1) // self.chunk_size
        query = {"files_id": self.file_id, "n": {"$gte": first, "$lte": last}}
        cursor = self.store.chunks.find(query, sort=[("n", ASCENDING)], batch_size=READ_BATCH)
        expected, skip = first, start - first * self.chunk_size
        try:
            for chunk in cursor:
                if chunk["n"] != expected:
                    raise MediaStoreError(f"Media file {self.file_id} is missing chunk {expected}.")
                data = bytes(chunk["data"])[skip : skip + length]
                skip, expected, length = 0, expected + 1, length - len(data)
                yield data
        finally:
            cursor.close()
        if length > 0:
            raise MediaStoreError(f"Media file {self.file_id} ends early.")


class GridFSMediaStore:
    """Frames and videos as GridFS files named by their keys; metadata holds owner, workflow, type, size, SHA-256."""

    def __init__(self, db: Database, *, scratch_dir: Path, bucket: str = BUCKET, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.db = db
        self.chunk_bytes = chunk_bytes
        self.files = db[f"{bucket}.files"]
        self.chunks = db[f"{bucket}.chunks"]
        self.scratch_dir = scratch_dir.resolve()
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        self.files.create_index([("filename", ASCENDING), ("uploadDate", ASCENDING)])
        self.files.create_index("metadata.workflowId")
        self.chunks.create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)

    def put_bytes(self, key: str, data: bytes, *, owner: str | None = None) -> None:
        """Store data under key."""
        self.put_stream(key, [data], owner=owner)

    def put_file(self, key: str, source: Path, *, owner: str | None = None) -> None:
        """Stream a finished local file into GridFS under key, then remove the local copy."""
        with open(source, "rb") as handle:
            self.put_stream(key, iter(lambda: handle.read(FILE_PIECE), b""), owner=owner)
        source.unlink(missing_ok=True)

    def put_stream(self, key: str, chunks: Iterable[bytes], *, owner: str | None = None) -> None:
        """Write the pieces as they come (never the whole file in memory); the file appears only once complete."""
        workflow_id = workflow_of_key(key)
        file_id, digest, size, number = ObjectId(), hashlib.sha256(), 0, 0
        pending, batch = bytearray(), []
        try:
            try:
                for piece in chunks:
                    digest.update(piece)
                    size += len(piece)
                    pending += piece
                    while len(pending) >= self.chunk_bytes:
                        batch.append({"files_id": file_id, "n": number, "data": Binary(bytes(pending[: self.chunk_bytes]))})
                        del pending[: self.chunk_bytes]
                        number += 1
                        if len(batch) >= WRITE_BATCH:
                            self.chunks.insert_many(batch)
                            batch = []
                if pending:
                    batch.append({"files_id": file_id, "n": number, "data": Binary(bytes(pending))})
                if batch:
                    self.chunks.insert_many(batch)
                # The files document goes last, in one insert: until it exists no reader can find the file.
                self.files.insert_one(
                    {
                        "_id": file_id,
                        "filename": key,
                        "length": size,
                        "chunkSize": self.chunk_bytes,
                        "uploadDate": datetime.now(UTC),
                        "metadata": {
                            "owner": owner if owner is not None else self._owner_of(workflow_id),
                            "workflowId": workflow_id,
                            "contentType": content_type_of(key),
                            "size": size,
                            "sha256": digest.hexdigest(),
                        },
                    }
                )
            except BaseException:
                self.chunks.delete_many({"files_id": file_id})  # what a killed writer would leave, the sweep removes
                raise
        except PyMongoError as exc:
            raise MediaStoreError(f"Media {key} could not be stored in GridFS: {type(exc).__name__}.") from exc

    def _owner_of(self, workflow_id: str) -> str | None:
        found = self.db["video_workflows"].find_one({"_id": workflow_id}, {"userId": 1})
        return found.get("userId") if found else None

    def describe(self, key: str) -> dict[str, Any] | None:
        """The newest files document stored under key, or None."""
        check_key(key)
        return self.files.find_one({"filename": key}, sort=[("uploadDate", DESCENDING), ("_id", DESCENDING)])

    def open(self, key: str) -> StoredMedia:
        """The file behind key, to stream whole or by range."""
        document = self.describe(key)
        if document is None:
            raise missing(key)
        media_type = (document.get("metadata") or {}).get("contentType") or content_type_of(key)
        return StoredMedia(
            key=key, size=int(document["length"]), content_type=media_type, reader=_GridFSReader(self, document)
        )

    def get_bytes(self, key: str) -> bytes:
        """The stored bytes, or NotFoundError (for frames: small)."""
        return b"".join(self.open(key).chunks())

    def health(self) -> str:
        """GridFS lives in the database, whose own readiness check covers it."""
        return "ok"

    def exists(self, key: str) -> bool:
        """True when key has a complete stored file."""
        return self.describe(key) is not None

    def scratch_path(self, suffix: str) -> Path:
        """A temporary local path for a file being made (a rendered video) before it is streamed in."""
        return self.scratch_dir / f"{ObjectId()}{suffix}"

    def delete_workflow(self, workflow_id: str) -> None:
        """Remove every file of a workflow (hard delete): each files document first, then its chunks."""
        for document in self.files.find({"metadata.workflowId": workflow_id}, {"_id": 1}):
            self.files.delete_one({"_id": document["_id"]})
            self.chunks.delete_many({"files_id": document["_id"]})

    def workflow_ids(self) -> set[str]:
        """Every workflow id with files in the store."""
        return {value for value in self.files.distinct("metadata.workflowId") if isinstance(value, str)}

    def unfinished_uploads(self, *, older_than: timedelta, now: datetime) -> list[ObjectId]:
        """Ids of chunk runs with no files document, begun before now - older_than (killed writers)."""
        finished = set(self.files.distinct("_id"))
        cutoff = now - older_than
        return [
            file_id
            for file_id in self.chunks.distinct("files_id")
            if file_id not in finished and isinstance(file_id, ObjectId) and file_id.generation_time <= cutoff
        ]

    def remove_unfinished(self, file_id: ObjectId) -> int:
        """Delete the chunks of one unfinished upload; the number removed."""
        return self.chunks.delete_many({"files_id": file_id, "n": {"$gte": 0}}).deleted_count
