"""200 MB through GridFS with flat memory, on a database server of its own that keeps its data on disk.

The session's shared test server is in memory with a 256 MB cache (EMBEDDED_DB_CACHE_SIZE), so it cannot hold a
200 MB file; a server on disk, as in production, evicts to its files.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from services.jobs.store import ensure_job_indexes
from services.workflows.repository import ensure_indexes
from tests.api.test_api_media import MIB, PeakRss, _frame_key, _pattern, _slice
from tests.support.disk_database import disk_database


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:
    """A database on a SecantusDB server of this test's own, on disk."""
    with disk_database(tmp_path) as uri:
        client: MongoClient = MongoClient(uri, tz_aware=True)
        database = client[f"test_{uuid.uuid4().hex[:12]}"]
        ensure_indexes(database)
        ensure_job_indexes(database)
        yield database
        client.close()


def test_a_200_mb_video_streams_into_and_out_of_gridfs_with_flat_memory(make_api_server, tmp_path):
    total = 200 * MIB
    server = make_api_server(MEDIA_STORE="gridfs")
    _, owner = server.user_client()
    workflow_id, _ = _frame_key(owner)
    key = f"workflows/{workflow_id}/video-big.mp4"
    local = tmp_path / "render.mp4"  # as a render or a provider download leaves it: a local scratch file
    with open(local, "wb") as handle:
        for piece in _pattern(total):
            handle.write(piece)
    owner.get(f"/media/{key.replace('video-big.mp4', 'x.png')}")  # warm up the route

    with PeakRss() as writing:
        server.runtime.media.put_file(key, local)
    assert writing.growth_mb < 30, f"streaming 200 MB into GridFS grew RSS by {writing.growth_mb:.1f} MB"
    stored = server.runtime.db["media.files"].find_one({"filename": key})
    assert stored["length"] == total and stored["metadata"]["owner"] is not None

    digest, received = hashlib.sha256(), 0
    with PeakRss() as reading, owner.stream("GET", f"/media/{key}") as response:
        assert response.status_code == 200
        for piece in response.iter_raw(256 * 1024):
            digest.update(piece)
            received += len(piece)
    print(f"GridFS: 200 MB in grew RSS by {writing.growth_mb:.1f} MB, out by {reading.growth_mb:.1f} MB")
    assert reading.growth_mb < 30, f"streaming 200 MB out of GridFS grew RSS by {reading.growth_mb:.1f} MB"
    assert received == total and digest.hexdigest() == stored["metadata"]["sha256"]
    middle = owner.get(f"/media/{key}", headers={"Range": f"bytes={150 * MIB}-{150 * MIB + 99}"})
    assert middle.status_code == 206 and middle.content == _slice(150 * MIB, 100)
