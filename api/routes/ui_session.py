"""The UI's sign-in cookie, set and cleared over HTTP so it can be HttpOnly (JavaScript never reads it).

After a sign-in on the websocket, the page posts a one-time handoff code here; the answer sets the cookie
to a fresh token of that server-side session. Not part of the public API (hidden from the schema).
"""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Depends, Request, Response

from api.deps import ApiServicesDep, RuntimeDep, limit_login
from services.core.errors import AuthenticationError, ForbiddenError

COOKIE_NAME = "vws_session"
ui_session_router = APIRouter(prefix="/ui-session", include_in_schema=False, dependencies=[Depends(limit_login)])


def _same_origin(request: Request) -> None:
    # Another site may not make a browser adopt a session (login CSRF): a cross-origin post is refused.
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise ForbiddenError("The sign-in cookie can only be set by the studio's own pages.")


@ui_session_router.post("", status_code=204, response_class=Response)
def set_session_cookie(
    request: Request, handoff: Annotated[str, Body(embed=True, max_length=100)], runtime: RuntimeDep, api: ApiServicesDep
) -> Response:
    _same_origin(request)
    token = api.ui_sessions.exchange(handoff)
    if token is None:
        raise AuthenticationError("The sign-in handoff is unknown, used or expired. Sign in again.")
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=math.ceil(runtime.settings.UI_COOKIE_EXPIRY_DAYS * 86_400),
        path="/",
        httponly=True,
        secure=runtime.settings.ui_cookie_secure,
        samesite="strict",
    )
    return response


@ui_session_router.delete("", status_code=204, response_class=Response)
def clear_session_cookie(request: Request, runtime: RuntimeDep, api: ApiServicesDep) -> Response:
    _same_origin(request)
    api.ui_sessions.end(request.cookies.get(COOKIE_NAME))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, secure=runtime.settings.ui_cookie_secure, samesite="strict")
    return response
