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
from services.accounts.login_throttle import LoginThrottle
from services.accounts.rate_limits import RateLimits
from services.accounts.refresh_tokens import RefreshTokens
from services.accounts.revocation import ActiveUsers
from services.accounts.stream_leases import StreamLeases
from services.accounts.ui_sessions import UiSessions
from services.core.settings import Settings


@dataclass
class ApiServices:
    access_tokens: AccessTokens
    refresh_tokens: RefreshTokens
    api_keys: ApiKeys
    rate_limits: RateLimits
    idempotency: IdempotencyStore
    audit: AuditLog
    streams: StreamLeases
    active_users: ActiveUsers
    login_throttle: LoginThrottle
    ui_sessions: UiSessions


def build_api_services(
    settings: Settings,
    db: Database,
    *,
    clock: Callable[[], datetime],
    rate_limit_storage: Storage | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> ApiServices:
    """Wire the API's collaborators on one database and create their indexes."""
    audit = AuditLog(db, clock=clock, ttl_days=settings.AUDIT_LOG_TTL_DAYS)
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
        streams=StreamLeases(per_user=settings.EVENT_STREAMS_PER_USER),
        active_users=ActiveUsers(db, cache_seconds=settings.AUTH_USER_CACHE_SECONDS),
        login_throttle=LoginThrottle(
            rate_limits.limiter,
            max_failures=settings.LOGIN_MAX_FAILURES,
            lock_seconds=settings.LOGIN_LOCK_SECONDS,
            ip_backoff_seconds=settings.LOGIN_IP_BACKOFF_SECONDS,
            audit=audit,
            wall_clock=wall_clock,
        ),
        ui_sessions=UiSessions(db, ttl=timedelta(days=settings.UI_COOKIE_EXPIRY_DAYS), clock=clock),
    )
    for component in (audit, services.refresh_tokens, services.api_keys, services.idempotency, services.ui_sessions):
        component.ensure_indexes()
    return services
