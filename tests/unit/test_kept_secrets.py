"""Development secrets kept under DATA_DIR: made once, identical for processes that start together."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from services.core.kept_secrets import kept_secret


def _read_or_make(path: str) -> bytes:
    return kept_secret(Path(path), lambda: os.urandom(32))


def test_processes_starting_together_all_get_the_first_secret_and_only_the_owner_can_read_it(tmp_path: Path):
    path = tmp_path / "data" / "dev.key"
    with ProcessPoolExecutor(max_workers=8) as pool:
        secrets = list(pool.map(_read_or_make, [str(path)] * 16))
    assert len(set(secrets)) == 1 and len(secrets[0]) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["dev.key"], "no scratch files are left behind"
    assert _read_or_make(str(path)) == secrets[0], "kept across restarts"
