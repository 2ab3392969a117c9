"""Rate limits from the spec, enforced with the `limits` library (moving windows).

Per user: refinement. Per API key (a JWT counts against the user's default key): frames and video.
Per client IP: every request, and sign-in. Exempt identities and tiers come from settings.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MovingWindowSupport, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pymongo.database import Database

from services.accounts.audit import AuditLog
from services.core import metrics
from services.core.errors import StudioError, ValidationError
from services.core.settings import Settings

RATE_LIMIT_TIERS = "rate_limit_tiers"
REFINEMENT, FRAMES, VIDEO, PER_IP, LOGIN, SIGNUP = "refinement", "frames", "video", "per_ip", "login", "signup"


class RateLimitedError(StudioError):
    """Too many requests for one of the limits; retry after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(
        self, message: str, *, limit: str, operation: str, retry_after: int, quota: int = 0, window_seconds: int = 0
    ) -> None:
        super().__init__(message)
        self.limit = limit
        self.operation = operation
        self.retry_after = retry_after
        self.quota = quota
        self.window_seconds = window_seconds


@dataclass(frozen=True)
class Policy:
    operation: str
    items: tuple[RateLimitItem, ...]


def _policies(settings: Settings) -> dict[str, Policy]:
    configured = {
        REFINEMENT: settings.RATE_LIMIT_REFINEMENT,
        FRAMES: settings.RATE_LIMIT_FRAMES,
        VIDEO: settings.RATE_LIMIT_VIDEO,
        PER_IP: settings.RATE_LIMIT_PER_IP,
        LOGIN: settings.RATE_LIMIT_LOGIN_PER_IP,
        SIGNUP: settings.RATE_LIMIT_SIGNUP_PER_IP,
    }
    return {name: Policy(name, tuple(parse_many(text))) for name, text in configured.items()}


def _tiers(settings: Settings) -> dict[str, dict[str, Policy]]:
    raw = json.loads(settings.RATE_LIMIT_TIERS) if settings.RATE_LIMIT_TIERS.strip() else {}
    return {tier: {op: Policy(op, tuple(parse_many(text))) for op, text in limits.items()} for tier, limits in raw.items()}


def describe(item: RateLimitItem) -> str:
    """'10 per 1 minute' for messages and audit records."""
    return f"{item.amount} per {item.multiples} {item.GRANULARITY.name}"


class RateLimits:
    """Checks (and consumes) the limits of one operation for one identity."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        audit: AuditLog,
        storage: Storage | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage or storage_from_string(settings.RATE_LIMIT_STORAGE_URI)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.policies = _policies(settings)
        self.tiers = _tiers(settings)
        self.exempt = {part.strip() for part in settings.RATE_LIMIT_EXEMPT_KEYS.split(",") if part.strip()}
        self.tier_assignments = db[RATE_LIMIT_TIERS]
        self.audit = audit
        self.wall_clock = wall_clock

    def check(self, operation: str, *, identity: str, user_id: str | None = None) -> None:
        """Consume one request of `operation` for `identity`, or raise RateLimitedError (nothing else happens)."""
        if identity in self.exempt or (user_id is not None and user_id in self.exempt):
            return
        policy = self._policy_for(operation, user_id)
        for item in policy.items:
            if self.limiter.hit(item, operation, identity):
                continue
            reset_at, _ = self.limiter.get_window_stats(item, operation, identity)
            retry_after = max(1, math.ceil(reset_at - self.wall_clock()))
            window = int(self.wall_clock() // item.get_expiry())
            self.audit.record_once(  # one record per identity, limit and window, however many 429s it sees
                "rate_limited",
                key=f"{operation}|{identity}|{describe(item)}|{window}",
                actor=user_id or identity,
                identity=identity,
                operation=operation,
                limit=describe(item),
                retryAfter=retry_after,
            )
            metrics.rate_limited(operation=operation)
            raise RateLimitedError(
                f"Rate limit for {operation.replace('_', ' ')} reached: {describe(item)}. Retry in {retry_after} seconds.",
                limit=describe(item),
                operation=operation,
                retry_after=retry_after,
                quota=item.amount,
                window_seconds=item.get_expiry(),
            )

    def _policy_for(self, operation: str, user_id: str | None) -> Policy:
        if user_id is not None and self.tiers:
            assigned = self.tier_assignments.find_one({"_id": user_id})
            tier_policy = self.tiers.get(assigned["tier"], {}).get(operation) if assigned else None
            if tier_policy is not None:
                return tier_policy
        return self.policies[operation]

    def set_tier(self, *, user_id: str, tier: str | None, actor: str) -> None:
        """Move a user to a configured tier (None: the defaults); every change is audited."""
        if tier is not None and tier not in self.tiers:
            raise ValidationError(f"Unknown tier {tier!r}. Configured tiers: {', '.join(self.tiers) or 'none'}.")
        previous = self.tier_assignments.find_one_and_update({"_id": user_id}, {"$set": {"tier": tier}}, upsert=True)
        self.audit.record(
            "rate_limit_tier_changed",
            actor=actor,
            userId=user_id,
            fromTier=previous.get("tier") if previous else None,
            toTier=tier,
        )


class ClockedMemoryStorage(Storage, MovingWindowSupport):
    """An in-process moving-window storage that reads an injected clock (tests move time with it)."""

    STORAGE_SCHEME = ["clocked-memory"]

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self.clock = clock
        self._events: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return RuntimeError

    def _live(self, key: str, expiry: float) -> list[float]:
        horizon = self.clock() - expiry
        events = [t for t in self._events.get(key, []) if t > horizon]
        self._events[key] = events
        return events

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        with self._lock:
            events = self._live(key, expiry)
            if len(events) + amount > limit:
                return False
            events.extend([self.clock()] * amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        with self._lock:
            events = self._live(key, expiry)
            return (events[0], len(events)) if events else (self.clock(), 0)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count amount hits now; the hits within the last expiry seconds (what a fixed window checks)."""
        with self._lock:
            events = self._live(key, expiry)
            events.extend([self.clock()] * amount)
            return len(events)

    def get(self, key: str) -> int:
        with self._lock:
            return len(self._events.get(key, []))

    def get_expiry(self, key: str) -> float:
        return self.clock()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._events)
            self._events.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)
