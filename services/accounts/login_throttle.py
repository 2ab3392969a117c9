"""Sign-in throttling shared by the UI and the API: a per-username lock and a per-IP exponential backoff.

Counters live in the rate-limit storage (memory:// in one process, Redis when several share it), so the
UI's websocket sign-ins and the API's token requests count against the same limits. A locked or cooling-down
attempt is refused before the password is looked at, so guessing costs the attacker time, not our CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.strategies import MovingWindowRateLimiter

from services.accounts.audit import AuditLog
from services.accounts.rate_limits import RateLimitedError
from services.core.errors import AuthenticationError

T = TypeVar("T")
LOGIN_LOCK = "login_lock"
MAX_IP_FAILURES = 1_000  # counted per IP over the lock window; only the count matters, not this cap


class LoginLockedError(RateLimitedError):
    """Too many wrong passwords: the attempt was refused without checking the password."""

    code = "login_locked"


class LoginThrottle:
    """Refuses attempts for a locked username or an IP still backing off; records failures and locks."""

    def __init__(
        self,
        limiter: MovingWindowRateLimiter,
        *,
        max_failures: int,
        lock_seconds: int,
        ip_backoff_seconds: float,
        audit: AuditLog,
        wall_clock: Callable[[], float],
    ) -> None:
        self.limiter = limiter
        self.failures = RateLimitItemPerSecond(max_failures, lock_seconds)
        self.lock = RateLimitItemPerSecond(1, lock_seconds)
        self.ip_failures = RateLimitItemPerSecond(MAX_IP_FAILURES, lock_seconds)
        self.lock_seconds = lock_seconds
        self.ip_backoff_seconds = ip_backoff_seconds
        self.audit = audit
        self.wall_clock = wall_clock

    def attempt(self, *, username: str, ip: str, authenticate: Callable[[], T], ip_backoff: bool = True) -> T:
        """Run authenticate() unless the username is locked or (ip_backoff) the IP must wait; count its failure.

        The API passes ip_backoff=False: its clients already meet RATE_LIMIT_LOGIN_PER_IP per minute.
        """
        handle = (username or "").strip().lower()
        self.check(username=handle, ip=ip if ip_backoff else None)
        try:
            result = authenticate()
        except AuthenticationError:
            self._failed(handle, ip if ip_backoff else None)
            raise
        self.limiter.clear(self.failures, "login_failures", handle)
        return result

    def check(self, *, username: str, ip: str | None) -> None:
        """Raise LoginLockedError while the username is locked or the IP is backing off."""
        if not self.limiter.test(self.lock, LOGIN_LOCK, username):
            wait = self._reset_in(self.lock, LOGIN_LOCK, username)
            until = datetime.fromtimestamp(self.wall_clock() + wait, tz=UTC)
            raise LoginLockedError(
                f"Too many wrong passwords for this account: sign-in is locked until {until:%H:%M} UTC "
                f"(in {math.ceil(wait / 60)} min). Try again then.",
                limit=f"{self.failures.amount} failures per {self.lock_seconds} seconds",
                operation="login",
                retry_after=wait,
            )
        backoff = self._ip_backoff(ip) if ip is not None else None
        if ip is not None and backoff is not None and not self.limiter.test(backoff, "login_ip_backoff", ip):
            wait = self._reset_in(backoff, "login_ip_backoff", ip)
            raise LoginLockedError(
                f"Too many failed sign-ins from your address: wait {wait} seconds, then try again.",
                limit="exponential backoff per IP",
                operation="login",
                retry_after=wait,
            )

    def _failed(self, username: str, ip: str | None) -> None:
        if ip is not None:
            self.limiter.hit(self.ip_failures, "login_ip_failures", ip)
            backoff = self._ip_backoff(ip)
            if backoff is not None:
                self.limiter.hit(backoff, "login_ip_backoff", ip)
        self.limiter.hit(self.failures, "login_failures", username)
        now_full = not self.limiter.test(self.failures, "login_failures", username)
        if now_full and self.limiter.hit(self.lock, LOGIN_LOCK, username):  # one audit record per lock
            self.audit.record("login_locked", actor=username, ip=ip or "", lockSeconds=self.lock_seconds)

    def _ip_backoff(self, ip: str) -> RateLimitItem | None:
        """The wait after this IP's failures so far: base × 2^(n-1) seconds, capped at the lock time."""
        stats = self.limiter.get_window_stats(self.ip_failures, "login_ip_failures", ip)
        failures = self.ip_failures.amount - stats.remaining
        if failures <= 0 or self.ip_backoff_seconds <= 0:
            return None
        seconds = min(self.lock_seconds, math.ceil(self.ip_backoff_seconds * 2 ** min(failures - 1, 20)))
        return RateLimitItemPerSecond(1, seconds)

    def _reset_in(self, item: RateLimitItem, *identifiers: str) -> int:
        reset_at = self.limiter.get_window_stats(item, *identifiers).reset_time
        return max(1, math.ceil(reset_at - self.wall_clock()))
