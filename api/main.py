"""The FastAPI application: routes only translate between HTTP and the services layer."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from api.body_limit import BodySizeLimit
from api.errors import install_error_handlers
from api.routes_auth import auth_router, keys_router
from api.routes_media import media_router
from api.routes_workflows import router as workflows_router
from services.runtime import Runtime, get_runtime

DESCRIPTION = """The spec's video workflow endpoints. Authenticate with `Authorization: Bearer <access token>`
from `POST /api/auth/token`, or with a personal API key (`X-API-Key`). Every error is a problem JSON
(`type`, `title`, `status`, `detail`, `code`)."""


def create_api(runtime_provider: Callable[[], Runtime] = get_runtime) -> FastAPI:
    """Build the API; runtime_provider gives the process's runtime (tests pass their own)."""
    api = FastAPI(title="Video Workflow Studio API", version="1.0.0", description=DESCRIPTION, docs_url="/docs",
                  openapi_url="/openapi.json")
    api.state.runtime_provider = runtime_provider
    install_error_handlers(api)
    api.add_middleware(BodySizeLimit, max_bytes=lambda: runtime_provider().settings.MAX_REQUEST_BODY_BYTES)
    for router in (auth_router, keys_router, workflows_router, media_router):
        api.include_router(router)

    @api.get("/health", summary="Liveness and database check", tags=["health"],
             responses={503: {"description": "The database is unreachable."}})
    def health() -> JSONResponse:
        runtime = runtime_provider()
        database = "ok" if runtime.database_ok() else "unreachable"
        status_code = 200 if database == "ok" else 503
        headers = {} if status_code == 200 else {"Retry-After": "5"}
        return JSONResponse({"status": "ok" if status_code == 200 else "degraded", "database": database},
                            status_code=status_code, headers=headers)

    return api
