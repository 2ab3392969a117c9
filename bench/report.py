"""Gather bench/results/*.json into bench/RESULTS.md: the machine, the date, and one table of every figure.

.venv/bin/python bench/report.py      # `make bench` runs it after the scripts
"""

from __future__ import annotations

import json

from run_all import RESULTS_DIR, SCRIPTS

REPORT = RESULTS_DIR.parent / "RESULTS.md"


def number(value: float | None, unit: str = "") -> str:
    """A figure with as many digits as it deserves, and its unit."""
    if value is None:
        return "—"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}".strip()


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def row(figure: dict) -> str:
    baseline = number(figure["baseline"], figure["unit"])
    if figure["baseline_is"]:
        baseline += f" ({figure['baseline_is']})"
    ratio = f"{figure['ratio']:.3g} ×" if figure["ratio"] is not None else "—"
    remarks = "; ".join(
        part for part in (f"target: {figure['target']}" if figure["target"] else "", figure["notes"]) if part
    )
    cells = (figure["figure"], f"**{number(figure['ours'], figure['unit'])}**", baseline, ratio, remarks)
    return "| " + " | ".join(cell(text) for text in cells) + " |"


def machine_text(machine: dict) -> str:
    return (
        f"{machine['cpu']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM; {machine['os']}; "
        f"Python {machine['python']}; SecantusDB {machine['secantusdb']}"
    )


def main() -> None:
    results = {
        name: json.loads((RESULTS_DIR / f"{name}.json").read_text())
        for name in SCRIPTS
        if (RESULTS_DIR / f"{name}.json").exists()
    }
    runs_file = RESULTS_DIR / "_runs.json"
    runs = {entry["script"]: entry for entry in json.loads(runs_file.read_text())} if runs_file.exists() else {}
    if not results:
        raise SystemExit("no results in bench/results/: run `make bench` (or a script under bench/) first")
    first = next(iter(results.values()))
    dates = sorted(result["date"] for result in results.values())
    loads = ", ".join(f"{name} {result['machine']['load_average'][0]:.1f}" for name, result in results.items())
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`bench/report.py`). What each figure measures, how, and against what: "
        "[README, Benchmarks](../README.md#benchmarks).",
        "",
        f"- **Machine:** {machine_text(first['machine'])}",
        f"- **Date:** {dates[0][:16].replace('T', ' ')} to {dates[-1][:16].replace('T', ' ')} UTC",
        f"- **1-minute load average as each script started** (2 would mean both cores busy already): {loads}",
        "",
        "| Figure | Ours | Baseline | Ours ÷ baseline | Target · notes |",
        "|---|---|---|---|---|",
    ]
    lines += [row(figure) for result in results.values() for figure in result["figures"]]
    missing = [name for name in SCRIPTS if name not in results]
    timings = [
        f"`{name}` {runs[name]['elapsed_seconds']:.0f} s" + ("" if runs[name]["exit_status"] == 0 else " (failed)")
        for name in SCRIPTS
        if name in runs
    ]
    lines += [""]
    if timings:
        total = sum(runs[name]["elapsed_seconds"] for name in SCRIPTS if name in runs)
        lines += [f"Time per script: {', '.join(timings)}; {total / 60:.1f} minutes in all."]
    if missing:
        lines += ["", f"No results from: {', '.join(f'`bench/{name}.py`' for name in missing)} (not run, or failed)."]
    REPORT.write_text("\n".join(lines) + "\n")
    print(f"wrote {REPORT.relative_to(REPORT.parents[1])} ({sum(len(r['figures']) for r in results.values())} figures)")


if __name__ == "__main__":
    main()
