"""Request and response bodies of the sign-in, token and API-key endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from api.schemas import RequestModel, ResponseModel
from services.accounts.api_keys import ApiKey


class TokenRequest(RequestModel):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class RefreshRequest(RequestModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class CreateApiKeyRequest(RequestModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]


class TokenResponse(ResponseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class ApiKeyOut(ResponseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        """The public view of a key (never its secret)."""
        return cls.model_validate(key.model_dump(exclude={"user_id"}))


class ApiKeyCreatedResponse(ApiKeyOut):
    key: str = Field(description="The secret. It is shown only in this response; store it now.")


class ApiKeyListResponse(ResponseModel):
    items: list[ApiKeyOut]
