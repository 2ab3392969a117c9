"""With Redis storage, several processes share one limit instead of multiplying it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_uri() -> Iterator[str]:
    """A throwaway redis-server on loopback (skipped where Debian's redis-server is not installed)."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    client.close()
    process.terminate()
    process.wait(timeout=10)


# Each process builds its own RateLimits on the same Redis and tries 10 refinements for one user.
WORKER = textwrap.dedent("""
    import sys
    from pymongo import MongoClient
    from services.accounts.audit import AuditLog
    from services.accounts.rate_limits import RateLimitedError, RateLimits
    from services.core.settings import Settings
    from services.core.clock import utc_now
    settings = Settings(_env_file=None, RATE_LIMIT_STORAGE_URI=sys.argv[1], RATE_LIMIT_REFINEMENT="10/minute")
    db = MongoClient(sys.argv[2], tz_aware=True)[sys.argv[3]]
    limits = RateLimits(settings=settings, db=db, audit=AuditLog(db, clock=utc_now))
    passed = 0
    for _ in range(10):
        try:
            limits.check("refinement", identity="user-1", user_id="user-1")
            passed += 1
        except RateLimitedError:
            pass
    print(passed)
""")


def test_three_processes_on_redis_let_10_requests_through_in_total_not_30(redis_uri: str, mongo_uri: str, db):
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, redis_uri, mongo_uri, db.name], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        for _ in range(3)
    ]
    passed = [int(worker.communicate(timeout=60)[0].strip()) for worker in workers]
    assert sum(passed) == 10
    # 20 refusals, one identity, one limit, one window: one audit record, not one per 429 (issue 13, audit without
    # amplification), however many processes refused.
    assert db["audit_log"].count_documents({"event": "rate_limited"}) == 1
