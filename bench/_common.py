"""Shared set-up for benchmark scripts: the project on sys.path, a database and runtime, and the results files.

Every script prints its figures and also writes them to bench/results/<script>.json, which bench/report.py
gathers into bench/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS_DIR = ROOT / "bench" / "results"

import psutil
from pymongo.database import Database

from services.bootstrap import Runtime, bootstrap
from services.core.settings import Settings
from services.providers.registry import ModelRegistry
from services.storage.embedded_db import IN_MEMORY, EmbeddedDatabase
from tests.support.network import free_port


@dataclass(frozen=True)
class Figure:
    """One row of the results table: our figure, the baseline it is compared with, and what counts as good."""

    figure: str
    ours: float
    unit: str
    baseline: float | None = None
    baseline_is: str = ""  # what the baseline is, in a few words
    target: str = ""  # the target from the spec or the issue, when there is one
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        """ours ÷ baseline, the same way round for every row."""
        return self.ours / self.baseline if self.baseline else None


def write_results(
    script: str, figures: list[Figure], *, started: float, parameters: dict, details: dict | None = None
) -> Path:
    """Write bench/results/<script>.json (figures, parameters, details, machine, date, elapsed seconds)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{script}.json"
    rows = [{**asdict(figure), "ratio": figure.ratio} for figure in figures]
    record = {
        "script": f"bench/{script}.py",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "parameters": parameters,
        "machine": machine_info(),
        "figures": rows,
        "details": details or {},
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"results written to {path.relative_to(ROOT)}")
    return path


def machine_info() -> dict:
    """Where the figures were measured: CPU, cores, memory, OS, Python, database server."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "secantusdb": metadata.version("secantusdb"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    """One line that says where the figures were measured."""
    info = machine_info()
    return f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB, Python {info['python']}"


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of the samples (inclusive method, so a small sample stays within its range)."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98]}


@contextmanager
def in_memory_database() -> Iterator[str]:
    """A SecantusDB server in memory on a free loopback port, as the tests use; yields its URI."""
    with tempfile.TemporaryDirectory() as scratch:
        server = EmbeddedDatabase(storage_path=IN_MEMORY, port=free_port(), log_path=Path(scratch) / "db.log")
        try:
            yield server.start()
        finally:
            server.stop()


def bench_runtime(
    uri: str,
    data_dir: Path,
    *,
    models: ModelRegistry | Callable[[Database], ModelRegistry] | None = None,
    **settings: object,
) -> Runtime:
    """The app's own wiring (bootstrap) on this database, with these models if given; jobs run inside the calling
    thread unless JOB_BACKEND says otherwise."""
    chosen = {"JOB_BACKEND": "inline", **settings}
    return bootstrap(Settings(_env_file=None, MONGODB_URI=uri, DATA_DIR=data_dir, **chosen), models=models)  # type: ignore[arg-type]
