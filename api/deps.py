"""FastAPI dependencies as Annotated aliases: the runtime, the caller's identity, and rate limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.accounts.api_keys import PREFIX as API_KEY_PREFIX
from services.accounts.api_services import ApiServices
from services.accounts.rate_limits import LOGIN, PER_IP
from services.accounts.revocation import ActiveUser, check
from services.bootstrap import Runtime
from services.core.client_address import client_address
from services.core.errors import AuthenticationError
from services.studio.service import VideoWorkflowService

bearer_scheme = HTTPBearer(auto_error=False, description="An access token from POST /api/auth/token, or a personal API key.")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="A personal API key.")


# Cheap, non-blocking dependencies are `async def`: FastAPI would run each sync one on the thread pool,
# and those hops, not the work, dominated the latency of a read (see bench/api_load.py).


async def get_runtime(request: Request) -> Runtime:
    """The process's runtime (tests give the API their own)."""
    provider: Callable[[], Runtime] = request.app.state.runtime_provider
    return provider()


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_service(runtime: RuntimeDep) -> VideoWorkflowService:
    """The workflow service."""
    return runtime.service


async def get_api_services(runtime: RuntimeDep) -> ApiServices:
    """Tokens, keys, limits and idempotency."""
    return runtime.api


ServiceDep = Annotated[VideoWorkflowService, Depends(get_service)]
ApiServicesDep = Annotated[ApiServices, Depends(get_api_services)]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, and the API key they use (`key:<id>`; a JWT is `user:<id>:default`), for exemptions."""

    user_id: str
    key_id: str
    via: str


def client_ip(request: Request) -> str:
    """The client's address: the peer, or behind TRUSTED_PROXIES the first untrusted X-Forwarded-For hop."""
    proxies = request.app.state.runtime_provider().settings.trusted_proxies
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), proxies)


async def limit_per_ip(request: Request, api: ApiServicesDep) -> None:
    """Every request counts against its client IP's limit.

    In-memory counters are hit on the event loop (a thread-pool hop per request cost more than the hit);
    Redis counters, and the audit record of a refusal, block, so those go through the thread pool.
    """
    identity = client_ip(request)
    if api.rate_limits.try_hit(PER_IP, identity=identity):
        return
    await run_in_threadpool(api.rate_limits.check, PER_IP, identity=identity)


def limit_login(request: Request, api: ApiServicesDep) -> None:
    """Sign-in and refresh attempts count against a stricter per-IP limit."""
    api.rate_limits.check(LOGIN, identity=client_ip(request))


async def get_principal(
    api: ApiServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """Authenticate a JWT or a personal API key (in X-API-Key or as the bearer token), for an existing, enabled user."""
    if api_key is None and bearer is not None and bearer.credentials.startswith(API_KEY_PREFIX):
        api_key = bearer.credentials
    if api_key is not None:
        key = await run_in_threadpool(api.api_keys.authenticate, api_key)  # a database read
        await active_user(api, key.user_id)
        return Principal(user_id=key.user_id, key_id=f"key:{key.id}", via="api_key")
    if bearer is None:
        raise AuthenticationError(
            "Send an access token (Authorization: Bearer <token> from POST /api/auth/token) or an API key (X-API-Key)."
        )
    user_id, version = api.access_tokens.verify_claims(bearer.credentials)  # CPU only: fine on the event loop
    await active_user(api, user_id, token_version=version)
    return Principal(user_id=user_id, key_id=f"user:{user_id}:default", via="jwt")


async def active_user(api: ApiServices, user_id: str, *, token_version: int | None = None) -> ActiveUser:
    """The user behind a credential must exist and be enabled (cached briefly; a miss reads off the event loop)."""
    known, user = api.active_users.cached(user_id)
    if not known:
        user = await run_in_threadpool(api.active_users.lookup, user_id)
    return check(user, token_version)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
