"""One error format for the whole API: RFC 9457 problem JSON with a machine-readable `code`.

Typed service errors become HTTP statuses here and nowhere else. No stack trace ever leaves.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.accounts.rate_limits import RateLimitedError
from services.core import errors
from services.webhooks.signing import WebhookVerificationError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
DATABASE_RETRY_AFTER_SECONDS = 5

# Most specific first: the first matching class decides the status.
STATUS_OF: list[tuple[type[errors.StudioError], int]] = [
    (RateLimitedError, 429),
    (errors.AuthenticationError, 401),
    (WebhookVerificationError, 401),
    (errors.ForbiddenError, 403),
    (errors.PasscodeRequiredError, 403),
    (errors.LinkGoneError, 410),
    (errors.NotFoundError, 404),
    (errors.ValidationError, 422),
    (errors.InvalidTransitionError, 409),
    (errors.BusyError, 409),
    (errors.ConflictError, 409),
    (errors.StepFailedError, 502),
    (errors.ProviderError, 502),
    (errors.DatabaseUnavailableError, 503),
    (errors.MediaStoreError, 503),
]


class Problem(BaseModel):
    """An error response (RFC 9457 problem details)."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class PayloadTooLargeError(errors.StudioError):
    """The request body is over MAX_REQUEST_BODY_BYTES."""

    code = "payload_too_large"


def problem(status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: object) -> JSONResponse:
    """A problem JSON response."""
    body = {
        "type": f"urn:video-workflow-studio:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def studio_error_response(exc: errors.StudioError) -> JSONResponse:
    """The HTTP answer for a typed service error."""
    status = next((code for cls, code in STATUS_OF if isinstance(exc, cls)), 500)
    if isinstance(exc, PayloadTooLargeError):
        status = 413
    headers: dict[str, str] = {}
    extra: dict[str, object] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
        # The IETF RateLimit header fields draft: the policy that was hit and what remains of it.
        headers["RateLimit-Policy"] = f'"{exc.operation}";q={exc.quota};w={exc.window_seconds}'
        headers["RateLimit"] = f'"{exc.operation}";r=0;t={exc.retry_after}'
        extra = {"limit": exc.limit, "operation": exc.operation, "retryAfter": exc.retry_after}
    if isinstance(exc, errors.BusyError) and exc.job_id is not None:
        extra = {"jobId": exc.job_id}  # the running job to follow (GET .../job) or cancel
    if isinstance(exc, errors.ModelUnavailableError):
        extra = {"model": exc.model, "successor": exc.successor}
    if isinstance(exc, errors.StepFailedError):
        extra = {"step": exc.step, "provider": exc.provider, "retryable": True}
    if isinstance(exc, errors.DatabaseUnavailableError | errors.MediaStoreError):
        headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    if status == 500:
        log.error("unmapped service error %s: %s", type(exc).__name__, exc.message)
        return problem(500, "internal_error", "The server could not complete the request.")
    return problem(status, exc.code, exc.message, headers=headers, **extra)


def _request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    # Echo where and why, never the submitted values (they may hold secrets).
    issues = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
    summary = "; ".join(f"{'.'.join(str(p) for p in i['loc'])}: {i['msg']}" for i in issues[:5])
    return problem(422, "invalid_request", f"The request is not valid: {summary}", errors=issues)


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "route_not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem(exc.status_code, code, detail, headers=headers)


def _allowed_methods(request: Request) -> str:
    # FastAPI makes one route per method, and Starlette's 405 names only the first route's methods.
    path, root = request.scope["path"], request.scope.get("root_path", "")
    route_path = path[len(root) :] if root and path.startswith(root) else path
    table: list[tuple[re.Pattern[str], set[str]]] = getattr(request.app.state, "route_methods", [])
    return ", ".join(sorted({m for pattern, methods in table if pattern.match(route_path) for m in methods}))


def _database_down(_request: Request, exc: ConnectionFailure) -> JSONResponse:
    log.warning("database unreachable: %s", type(exc).__name__)
    return problem(
        503,
        "database_unavailable",
        "The database is unreachable. Retry shortly.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "internal_error", "The server could not complete the request.")


def install_error_handlers(api: FastAPI) -> None:
    """Route every error through the problem format."""
    api.add_exception_handler(errors.StudioError, lambda _r, e: studio_error_response(e))  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _request_validation)  # type: ignore[arg-type]
    api.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    api.add_exception_handler(ConnectionFailure, _database_down)  # type: ignore[arg-type]
    api.add_exception_handler(Exception, _unexpected)


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI descriptions of the problem responses a route can give."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            **({"headers": RESPONSE_HEADERS[status]} if status in RESPONSE_HEADERS else {}),
        }
        for status in statuses
    }


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}}
RESPONSE_HEADERS: dict[int, dict] = {
    401: {"WWW-Authenticate": {"description": "The Bearer challenge.", "schema": {"type": "string"}}},
    429: {
        **_RETRY_AFTER,
        "RateLimit-Policy": {"description": "The limit that was hit.", "schema": {"type": "string"}},
        "RateLimit": {"description": "What remains of it and when it resets.", "schema": {"type": "string"}},
    },
    503: _RETRY_AFTER,
}
