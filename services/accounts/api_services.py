"""What the REST API needs beyond the workflow service: tokens, API keys, limits, idempotency, audit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from limits.storage import Storage
from pymongo.database import Database

from services.accounts.access_tokens import AccessTokens, signing_keys
from services.accounts.api_keys import ApiKeys
from services.accounts.audit import AuditLog
from services.accounts.idempotency import IdempotencyStore
from services.accounts.rate_limits import RateLimits
from services.accounts.refresh_tokens import RefreshTokens
from services.core.settings import Settings


@dataclass
class ApiServices:
    access_tokens: AccessTokens
    refresh_tokens: RefreshTokens
    api_keys: ApiKeys
    rate_limits: RateLimits
    idempotency: IdempotencyStore
    audit: AuditLog


def build_api_services(
    settings: Settings,
    db: Database,
    *,
    clock: Callable[[], datetime],
    rate_limit_storage: Storage | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> ApiServices:
    """Wire the API's collaborators on one database and create their indexes."""
    audit = AuditLog(db, clock=clock)
    rate_limits = RateLimits(settings=settings, db=db, audit=audit, storage=rate_limit_storage, wall_clock=wall_clock)
    services = ApiServices(
        access_tokens=AccessTokens(
            keys=signing_keys(settings),
            issuer=settings.JWT_ISSUER,
            audience=settings.JWT_AUDIENCE,
            ttl=timedelta(seconds=settings.ACCESS_TOKEN_TTL_SECONDS),
            clock=clock,
        ),
        refresh_tokens=RefreshTokens(
            db,
            ttl=timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS),
            reuse_grace=timedelta(seconds=settings.REFRESH_TOKEN_REUSE_GRACE_SECONDS),
            audit=audit,
            clock=clock,
        ),
        api_keys=ApiKeys(db, audit=audit, clock=clock, limits=rate_limits),
        rate_limits=rate_limits,
        idempotency=IdempotencyStore(
            db,
            ttl=timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS),
            stale_after=timedelta(seconds=settings.PROCESSING_STALE_AFTER_SECONDS),
            clock=clock,
        ),
        audit=audit,
    )
    for component in (audit, services.refresh_tokens, services.api_keys, services.idempotency):
        component.ensure_indexes()
    return services
