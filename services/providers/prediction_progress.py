"""What a running prediction says about its progress: SDXL's step percentages, or nothing (then elapsed time)."""

from __future__ import annotations

import re

# SDXL (cog's tqdm) logs lines such as " 45%|████▌     | 22/50 [00:03<00:04,  6.12it/s]"; the last one counts.
_PERCENT = re.compile(r"(\d{1,3})%\|")
_STEPS = re.compile(r"\|\s*(\d+)/(\d+)\s*\[")
SILENT_CAP = 0.95  # a model that reports nothing is never shown past 95% until it has succeeded


def logged_fraction(logs: str | None) -> float | None:
    """The fraction done that the prediction's logs last reported, or None when they report none."""
    if not logs:
        return None
    for line in reversed(logs.splitlines()):
        steps = _STEPS.search(line)
        if steps and int(steps.group(2)) > 0:
            return min(1.0, int(steps.group(1)) / int(steps.group(2)))
        percent = _PERCENT.search(line)
        if percent:
            return min(1.0, int(percent.group(1)) / 100)
    return None


def elapsed_fraction(elapsed: float, expected: float) -> float:
    """Elapsed over expected, capped at 95% until the model says it is done."""
    return min(SILENT_CAP, max(0.0, elapsed / max(expected, 0.001)))
