"""Run the benchmark scripts in order, print how long each took, then write bench/RESULTS.md and docs/CAPACITY.md.

    .venv/bin/python bench/run_all.py [NAME ...]     # e.g. `list_query soak`; default: all of them

Each script keeps its own default sizes (the real thing); SOAK_SECONDS shortens the soak for development.
A script that fails is reported and the others still run; the exit status says whether all passed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS_DIR = BENCH / "results"
# Quick ones first, the 10-minute soak last, so a broken set-up shows within a minute.
SCRIPTS = (
    "first_run",
    "frames_parallel",
    "prompt_cache",
    "prompt_lab",
    "animatic",
    "jobs",
    "db_writes",
    "media_store",
    "list_query",
    "api_load",
    "ui_render",
    "soak",
)


def run(name: str) -> dict:
    """Run bench/<name>.py with its defaults; its name, exit status and elapsed seconds."""
    print(f"\n=== bench/{name}.py", flush=True)
    started = time.perf_counter()
    status = subprocess.run([sys.executable, str(BENCH / f"{name}.py")], cwd=BENCH.parent).returncode
    elapsed = time.perf_counter() - started
    print(f"=== bench/{name}.py {'done' if status == 0 else f'FAILED (exit {status})'} in {elapsed:.0f} s", flush=True)
    return {"script": name, "exit_status": status, "elapsed_seconds": round(elapsed, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of: {', '.join(SCRIPTS)}")
    names = parser.parse_args().names or list(SCRIPTS)
    if unknown := set(names) - set(SCRIPTS):
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
    RESULTS_DIR.mkdir(exist_ok=True)
    for name in names:  # a failed run must not leave an older run's figures in the report
        (RESULTS_DIR / f"{name}.json").unlink(missing_ok=True)
    started = time.perf_counter()
    runs = [run(name) for name in names]
    runs_file = RESULTS_DIR / "_runs.json"
    earlier = json.loads(runs_file.read_text()) if runs_file.exists() and len(names) < len(SCRIPTS) else []
    kept = [entry for entry in earlier if entry["script"] not in names]
    runs_file.write_text(json.dumps(kept + runs, indent=2) + "\n")
    print(f"\n=== all benchmarks: {time.perf_counter() - started:.0f} s", flush=True)
    subprocess.run([sys.executable, str(BENCH / "report.py")], check=True)
    subprocess.run([sys.executable, str(BENCH / "capacity.py")], check=True)  # docs/CAPACITY.md from the same results
    return 0 if all(entry["exit_status"] == 0 for entry in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
