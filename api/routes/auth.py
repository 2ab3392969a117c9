"""Sign-in (tokens), refresh-token rotation, logout, and personal API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api.auth_schemas import (
    ApiKeyCreatedResponse,
    ApiKeyListResponse,
    ApiKeyOut,
    CreateApiKeyRequest,
    RefreshRequest,
    TokenRequest,
    TokenResponse,
)
from api.deps import ApiServicesDep, PrincipalDep, RuntimeDep, client_ip, limit_login, limit_per_ip
from api.errors import error_responses
from services.accounts.api_services import ApiServices
from services.accounts.revocation import ActiveUser
from services.core.settings import Settings

auth_router = APIRouter(prefix="/auth", tags=["authentication"], dependencies=[Depends(limit_login)])
keys_router = APIRouter(prefix="/api-keys", tags=["API keys"], dependencies=[Depends(limit_per_ip)])


def _tokens_for(user: ActiveUser, *, api: ApiServices, settings: Settings, refresh_token: str) -> TokenResponse:
    return TokenResponse(
        access_token=api.access_tokens.issue(user.id, version=user.token_version),
        expires_in=settings.ACCESS_TOKEN_TTL_SECONDS,
        refresh_token=refresh_token,
        refresh_expires_in=settings.REFRESH_TOKEN_TTL_SECONDS,
    )


@auth_router.post(
    "/token",
    response_model=TokenResponse,
    responses=error_responses(400, 401, 413, 422, 429, 503),
    summary="Exchange username and password for an access token and a refresh token",
)
def issue_token(request: Request, body: TokenRequest, runtime: RuntimeDep, api: ApiServicesDep) -> TokenResponse:
    user = api.login_throttle.attempt(
        username=body.username,
        ip=client_ip(request),
        authenticate=lambda: runtime.users.authenticate(username=body.username, password=body.password),
        ip_backoff=False,  # the API's per-IP limit is RATE_LIMIT_LOGIN_PER_IP; the account lock applies here too
    )
    active = ActiveUser(id=user.id, token_version=user.token_version)
    return _tokens_for(active, api=api, settings=runtime.settings, refresh_token=api.refresh_tokens.issue(user.id))


@auth_router.post(
    "/refresh",
    response_model=TokenResponse,
    responses=error_responses(400, 401, 413, 422, 429, 503),
    summary="Rotate a refresh token: the old one is spent; reusing it revokes the sign-in",
)
def refresh_token(body: RefreshRequest, runtime: RuntimeDep, api: ApiServicesDep) -> TokenResponse:
    rotation = api.refresh_tokens.rotate(body.refresh_token)
    user = api.active_users.require(rotation.user_id)  # a deleted or disabled user's token gets nothing
    return _tokens_for(user, api=api, settings=runtime.settings, refresh_token=rotation.refresh_token)


@auth_router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    responses=error_responses(400, 413, 422, 429, 503),
    summary="Revoke a refresh token and its family",
)
def logout(body: RefreshRequest, api: ApiServicesDep) -> Response:
    api.refresh_tokens.revoke(body.refresh_token)
    return Response(status_code=204)


@keys_router.post(
    "",
    status_code=201,
    response_model=ApiKeyCreatedResponse,
    responses=error_responses(400, 401, 413, 422, 429, 503),
    summary="Create a personal API key (its secret is shown only here)",
)
def create_api_key(body: CreateApiKeyRequest, api: ApiServicesDep, principal: PrincipalDep) -> ApiKeyCreatedResponse:
    created = api.api_keys.create(user_id=principal.user_id, name=body.name)
    return ApiKeyCreatedResponse(**ApiKeyOut.of(created.key).model_dump(), key=created.secret)


@keys_router.get(
    "",
    response_model=ApiKeyListResponse,
    responses=error_responses(401, 429, 503),
    summary="List your API keys (never their secrets)",
)
def list_api_keys(api: ApiServicesDep, principal: PrincipalDep) -> ApiKeyListResponse:
    return ApiKeyListResponse(items=[ApiKeyOut.of(k) for k in api.api_keys.list_for_user(principal.user_id)])


@keys_router.delete(
    "/{keyId}",
    response_model=ApiKeyOut,
    responses=error_responses(401, 404, 422, 429, 503),
    summary="Revoke one of your API keys",
)
def revoke_api_key(
    key_id: Annotated[str, Path(alias="keyId", max_length=64)], api: ApiServicesDep, principal: PrincipalDep
) -> ApiKeyOut:
    return ApiKeyOut.of(api.api_keys.revoke(user_id=principal.user_id, key_id=key_id))
