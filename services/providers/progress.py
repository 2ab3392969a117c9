"""How providers report progress: a plain callback `progress(done, total, message)`.

`job_progress` is the default: it reports to the generation job the calling code runs under (a no-op outside
one). Renderers call it per unit of work; the job layer maps it into the current span, keeps the percent from
going backwards, works out the ETA and throttles the writes.
"""

from __future__ import annotations

from collections.abc import Callable

from services.core.job_scope import report_progress

Progress = Callable[[int, int, str], None]


def job_progress(done: int, total: int, message: str) -> None:
    """Report done/total of the current job's current span (no-op outside a job)."""
    report_progress(done, total, message)
