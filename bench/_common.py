"""Shared set-up for benchmark scripts: run from the project root, print a machine line."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def machine_line() -> str:
    """One line that says where the figures were measured."""
    return f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
