"""Rate limits from the spec, enforced with the `limits` library (moving windows).

Per user: refinement, frames and video (a user's API keys share the user's count, so creating and revoking
keys never resets it), and API key creation. The workflow service charges them only for work that starts
(`charge` after every check, `refund` when the write that starts it loses a race and is then refused).
Per client IP: every request, and sign-in. Exempt identities (user ids, `key:<id>`) and tiers come from settings.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from pymongo.database import Database

from services.accounts.api_keys import KEY_CREATION
from services.accounts.audit import AuditLog
from services.accounts.limit_storage import ClockedMemoryStorage, forget_latest, sync_storage
from services.core import metrics
from services.core.errors import StudioError, ValidationError
from services.core.settings import Settings
from services.workflows.usage import FRAMES, REFINEMENT, VIDEO, Quota

RATE_LIMIT_TIERS = "rate_limit_tiers"
PER_IP, LOGIN, SIGNUP = "per_ip", "login", "signup"
API_KEYS = KEY_CREATION


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
class Charge:
    """One unit of an operation consumed for an identity; `refund` gives it back."""

    operation: str
    identity: str
    items: tuple[RateLimitItem, ...]


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
        API_KEYS: settings.RATE_LIMIT_API_KEYS,
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
        self.storage: Storage = storage or sync_storage(settings.RATE_LIMIT_STORAGE_URI)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.policies = _policies(settings)
        self.tiers = _tiers(settings)
        self.exempt = {part.strip() for part in settings.RATE_LIMIT_EXEMPT_KEYS.split(",") if part.strip()}
        self.tier_assignments = db[RATE_LIMIT_TIERS]
        self.audit = audit
        self.wall_clock = wall_clock

    def charge(self, operation: str, *, user_id: str, key_id: str | None = None) -> Charge | None:
        """Consume one unit of a per-user operation (None when exempt), or raise RateLimitedError, consuming nothing."""
        if key_id is not None and key_id in self.exempt:
            return None
        return self.check(operation, identity=user_id, user_id=user_id)

    @contextmanager
    def charging(self, operation: str, *, user_id: str, key_id: str | None = None, units: int = 1) -> Iterator[None]:
        """Charge `units` of a per-user operation for the block; refunded if the block is refused (raises)."""
        charges: list[Charge | None] = []
        try:
            for _ in range(units):
                charges.append(self.charge(operation, user_id=user_id, key_id=key_id))
            yield
        except BaseException:
            for charge in charges:
                self.refund(charge)
            raise

    def refund(self, charge: object | None) -> None:
        """Give back a unit charged for work that did not start after all (its write lost a race and was refused)."""
        if not isinstance(charge, Charge):
            return
        for item in charge.items:
            forget_latest(self.storage, item.key_for(charge.operation, charge.identity))

    def quota(self, operation: str, *, user_id: str) -> Quota:
        """The user's tightest window of `operation`: how many are left and when the next one frees up."""
        if user_id in self.exempt:
            return Quota(operation, "no limit", remaining=1_000_000, resets_in_seconds=0, exempt=True)
        tightest: Quota | None = None
        for item in self._policy_for(operation, user_id).items:
            reset_at, remaining = self.limiter.get_window_stats(item, operation, user_id)
            resets_in = max(0, math.ceil(reset_at - self.wall_clock())) if remaining < item.amount else 0
            if tightest is None or (remaining, -resets_in) < (tightest.remaining, -tightest.resets_in_seconds):
                tightest = Quota(operation, describe(item), remaining=remaining, resets_in_seconds=resets_in)
        assert tightest is not None
        return tightest

    def check(self, operation: str, *, identity: str, user_id: str | None = None) -> Charge | None:
        """Consume one request of `operation` for `identity`, or raise RateLimitedError (consuming nothing)."""
        if identity in self.exempt or (user_id is not None and user_id in self.exempt):
            return None
        policy = self._policy_for(operation, user_id)
        taken: list[RateLimitItem] = []
        for item in policy.items:
            if self.limiter.hit(item, operation, identity):
                taken.append(item)
                continue
            self.refund(Charge(operation, identity, tuple(taken)))  # a day's unit is not spent by the minute's refusal
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
        return Charge(operation, identity, tuple(taken))

    @property
    def in_process(self) -> bool:
        """True when the counters live in this process's memory, so a hit never blocks on I/O."""
        return isinstance(self.storage, (MemoryStorage, ClockedMemoryStorage))

    def try_hit(self, operation: str, *, identity: str) -> bool | None:
        """Consume one request of a one-window, tier-less limit without any I/O: True when allowed.

        None means "not decided here" (the storage is remote, or the policy has several windows, where a
        partial hit would count twice): call check() instead. False means over the limit and nothing
        consumed: check() then refuses it and records why.
        """
        policy = self.policies[operation]
        if not self.in_process or len(policy.items) != 1:
            return None
        return identity in self.exempt or self.limiter.hit(policy.items[0], operation, identity)

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
