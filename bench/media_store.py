"""Benchmark: GridFS against the files store, writing and reading one 100 MB video.

Both stores get the same bytes through the same protocol call: `put_stream` from 1 MiB pieces (the files store
writes a temporary file, fsyncs and renames it; GridFS inserts 255 KiB chunks, 8 per round trip, then the files
document), and `open(key).chunks()` streamed to the end, as the media route serves it. GridFS runs on an
in-memory SecantusDB server on loopback; the files store on the local disk (its reads come from the page cache).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import Figure, in_memory_database, machine_line, write_results
from pymongo import MongoClient

from services.storage.gridfs_store import GridFSMediaStore
from services.storage.media_store import FileMediaStore, MediaStore

MIB = 1024 * 1024
PIECE = bytes(range(256)) * 4096  # 1 MiB


def write_seconds(store: MediaStore, key: str, megabytes: int) -> float:
    """Seconds to stream megabytes MiB into the store under key."""
    started = time.perf_counter()
    store.put_stream(key, (PIECE for _ in range(megabytes)))
    return time.perf_counter() - started


def read_seconds(store: MediaStore, key: str) -> float:
    """Seconds to stream the stored file out, piece by piece."""
    started = time.perf_counter()
    total = sum(len(piece) for piece in store.open(key).chunks())
    elapsed = time.perf_counter() - started
    assert total == store.open(key).size
    return elapsed


def measure(store: MediaStore, megabytes: int, rounds: int) -> dict[str, list[float]]:
    """MiB/s of each write and read round."""
    writes, reads = [], []
    for round_number in range(rounds):
        key = f"workflows/bench/video-{round_number}.mp4"
        writes.append(megabytes / write_seconds(store, key, megabytes))
        reads.append(megabytes / read_seconds(store, key))
    return {"write": writes, "read": reads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    print(machine_line())
    with tempfile.TemporaryDirectory() as scratch, in_memory_database() as uri:
        files = measure(FileMediaStore(Path(scratch) / "media"), args.megabytes, args.rounds)
        client: MongoClient = MongoClient(uri)
        db = client["bench_media"]
        db["video_workflows"].insert_one({"_id": "bench", "userId": "bench"})
        gridfs = measure(GridFSMediaStore(db, scratch_dir=Path(scratch) / "gridfs-scratch"), args.megabytes, args.rounds)
        stored = sum(len(chunk["data"]) for chunk in db["media.chunks"].find({}, {"data": 1}).batch_size(8))
        documents = db["media.chunks"].count_documents({}) + db["media.files"].count_documents({})
        client.close()
    median = {
        store: {kind: statistics.median(values) for kind, values in rates.items()}
        for store, rates in (("files", files), ("gridfs", gridfs))
    }
    for kind in ("write", "read"):
        print(
            f"{kind:5s} {args.megabytes} MB: GridFS {median['gridfs'][kind]:7.1f} MiB/s   "
            f"files {median['files'][kind]:7.1f} MiB/s   (median of {args.rounds})"
        )
    overhead = documents / (args.megabytes * args.rounds)
    print(f"GridFS holds {stored / MIB:.0f} MiB of media in {documents} documents ({overhead:.1f} per MiB)")
    note = f"{args.megabytes} MB file, median of {args.rounds} rounds; GridFS on in-memory SecantusDB over loopback"
    figures = [
        Figure(
            f"GridFS write, {args.megabytes} MB (media_store.py)",
            round(median["gridfs"]["write"], 1),
            "MiB/s",
            baseline=round(median["files"]["write"], 1),
            baseline_is="the files store (temp file, fsync, rename)",
            notes=note,
        ),
        Figure(
            f"GridFS read, {args.megabytes} MB (media_store.py)",
            round(median["gridfs"]["read"], 1),
            "MiB/s",
            baseline=round(median["files"]["read"], 1),
            baseline_is="the files store (page cache)",
            notes=note,
        ),
    ]
    write_results(
        "media_store",
        figures,
        started=started,
        parameters=vars(args),
        details={"files": files, "gridfs": gridfs, "gridfs_bytes": stored, "gridfs_documents": documents},
    )


if __name__ == "__main__":
    main()
