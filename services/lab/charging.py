"""Charge lab work against the same per-user limits as the wizard step it stands for, only once it is sure to start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.workflows.usage import UsageLimits


@contextmanager
def charged(
    limits: UsageLimits | None, operation: str, *, user_id: str, key_id: str | None, units: int = 1
) -> Iterator[None]:
    """Charge `units` of operation (RateLimitedError before anything runs when over); refunded if the block fails."""
    charges: list[object | None] = []
    try:
        if limits is not None:
            for _ in range(units):
                charges.append(limits.charge(operation, user_id=user_id, key_id=key_id))
        yield
    except BaseException:
        if limits is not None:
            for charge in charges:
                limits.refund(charge)
        raise
