"""Per-IP limit on wrong review tokens and passcodes, so guessing links is throttled (limits library, moving window)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from limits import parse_many
from limits.strategies import MovingWindowRateLimiter

from services.accounts.audit import AuditLog
from services.accounts.rate_limits import RateLimitedError, describe
from services.core import metrics

OPERATION = "review_token"


class TokenGuard:
    """Counts failed link openings per client IP; over the limit every opening from that IP gets 429 until it resets."""

    def __init__(
        self, *, limiter: MovingWindowRateLimiter, audit: AuditLog, limit: str, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self.limiter = limiter  # the API's limiter: the same storage (memory, or Redis shared by every process)
        self.items = tuple(parse_many(limit))
        self.audit, self.wall_clock = audit, wall_clock

    def check(self, ip: str) -> None:
        """Refuse (429) an IP that used up its failures; counts nothing."""
        for item in self.items:
            if not self.limiter.test(item, OPERATION, ip):
                self._refuse(item, ip)

    def failed(self, ip: str) -> None:
        """Count one wrong token or passcode from ip; 429 when that goes over the limit."""
        for item in self.items:
            if not self.limiter.hit(item, OPERATION, ip):
                self._refuse(item, ip)

    def _refuse(self, item, ip: str) -> None:  # type: ignore[no-untyped-def]
        reset_at, _ = self.limiter.get_window_stats(item, OPERATION, ip)
        retry_after = max(1, math.ceil(reset_at - self.wall_clock()))
        self.audit.record(
            "rate_limited", actor=ip, identity=ip, operation=OPERATION, limit=describe(item), retryAfter=retry_after
        )
        metrics.rate_limited(operation=OPERATION)
        raise RateLimitedError(
            f"Too many wrong review links or passcodes from your address: {describe(item)}. Retry in {retry_after} seconds.",
            limit=describe(item),
            operation=OPERATION,
            retry_after=retry_after,
            quota=item.amount,
            window_seconds=item.get_expiry(),
        )
