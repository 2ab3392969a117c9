"""The embedded database is started with a bounded cache, a minimal oplog and malloc settings that give memory back."""

from __future__ import annotations

import psutil

from services.bootstrap import connect
from services.core.settings import Settings
from services.storage.embedded_db import MALLOC_SETTINGS
from tests.support.network import free_port


def test_the_embedded_server_gets_its_cache_size_a_minimal_oplog_and_malloc_settings_that_give_memory_back(tmp_path):
    settings = Settings(_env_file=None, DATA_DIR=tmp_path, EMBEDDED_DB_PORT=free_port(), EMBEDDED_DB_CACHE_SIZE="64M")
    client, embedded = connect(settings)
    try:
        assert embedded is not None and embedded.process is not None
        command = psutil.Process(embedded.process.pid).cmdline()
        flags = {command[i]: command[i + 1] for i in range(len(command) - 1) if command[i].startswith("--")}
        assert flags["--cache-size"] == "64M"
        assert int(flags["--oplog-retention-seconds"]) <= 60 and int(flags["--oplog-max-entries"]) <= 1000
        assert client.admin.command("ping")["ok"] == 1
        environment = psutil.Process(embedded.process.pid).environ()
        assert {name: environment.get(name) for name in MALLOC_SETTINGS} == {
            "MALLOC_MMAP_THRESHOLD_": "32768",
            "MALLOC_ARENA_MAX": "1",
        }
    finally:
        client.close()
        embedded.stop()
