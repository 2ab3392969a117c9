"""Usage limits charged only for work that starts: after every check has passed, refunded if it then does not start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from services.workflows.domain import VideoWorkflow
from services.workflows.writer import Mutation

REFINEMENT, FRAMES, VIDEO = "refinement", "frames", "video"  # the operations the service charges


@dataclass(frozen=True)
class Quota:
    """What is left of an operation's tightest limit for a user, and when the next unit frees up."""

    operation: str
    limit: str  # e.g. "1 per 1 hour"
    remaining: int
    resets_in_seconds: int  # 0 when nothing is used
    exempt: bool = False


class UsageLimits(Protocol):
    """The per-user limits the service charges (services.accounts.rate_limits.RateLimits)."""

    def charge(self, operation: str, *, user_id: str, key_id: str | None = None) -> object | None: ...
    def refund(self, charge: object | None) -> None: ...
    def quota(self, operation: str, *, user_id: str) -> Quota: ...


class ChargeOnStart:
    """Guards the write that starts a piece of work: the first time its checks pass, one unit is charged.

    The charge happens inside the conditional write's mutation, after the state, validation, ownership and busy
    checks and before the write, so a refused request consumes nothing and a throttled one writes nothing. If the
    write loses a race and its retry is refused (the workflow became busy meanwhile), or the work otherwise never
    starts, the unit is refunded when the block exits.
    """

    def __init__(
        self,
        limits: UsageLimits | None,
        operation: str,
        *,
        user_id: str,
        key_id: str | None,
        started: Callable[[], bool] = lambda: False,
    ) -> None:
        self.limits, self.operation, self.user_id, self.key_id = limits, operation, user_id, key_id
        self.started = started
        self._charged = False
        self._charge: object | None = None

    def guard(self, start: Mutation) -> Mutation:
        """The start mutation, charging once after it passes (a retry on fresher data is not charged again)."""

        def guarded(workflow: VideoWorkflow) -> None:
            start(workflow)
            if self.limits is not None and not self._charged:
                self._charge = self.limits.charge(self.operation, user_id=self.user_id, key_id=self.key_id)
                self._charged = True

        return guarded

    def __enter__(self) -> ChargeOnStart:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if error is not None and self._charged and self.limits is not None and not self.started():
            self.limits.refund(self._charge)
