"""`make doctor`: is every configured model served today? Read-only calls only; nothing is paid for.

Prints one row per public model id: what it maps to, its lifecycle (with source and date), whether the
provider serves it now (checked only for providers whose key is set), and its price with the source.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

import httpx

from services.core.settings import Settings, load_settings
from services.providers.status import ProviderStatus, ProviderStatusRow
from services.providers.wiring import build_registry

COLUMNS = ("public id", "provider model", "lifecycle", "available", "price", "price source")


def main(
    argv: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
    transports: dict[str, httpx.BaseTransport | None] | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Check and print; exit 1 when a model that is not retired was found unavailable, else 0."""
    parser = argparse.ArgumentParser(prog="doctor", description=__doc__)
    parser.add_argument("--sources", action="store_true", help="also print where each lifecycle fact comes from")
    args = parser.parse_args(list(argv or ()))  # the command line comes from __main__
    settings = settings or load_settings()
    status = ProviderStatus(build_registry(settings), settings, transports=transports)
    missing = status.missing_keys()
    for key in missing:
        print(f"doctor: {key} is not set: its models are not checked, and the offline renderers serve them", file=out)
    rows = status.check_now() if status.has_keys() else status.rows()
    print(render_table(rows), file=out)
    if args.sources:
        for row in rows:
            if row.lifecycle_source:
                print(f"- {row.model_id}: {row.lifecycle_source}", file=out)
    broken = [r for r in rows if r.availability == "unavailable" and not r.lifecycle.startswith("retired")]
    for row in broken:
        print(f"doctor: {row.model_id} is unavailable: {row.reason}", file=out)
    return 1 if broken else 0


def render_table(rows: list[ProviderStatusRow]) -> str:
    """A Markdown table (it reads in a terminal and pastes into the README)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        available = r.availability if r.availability == "available" else f"{r.availability}: {r.reason}"
        cells = (r.model_id, f"{r.provider} `{r.reference}`", r.lifecycle, available, r.price, r.price_source or "-")
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
