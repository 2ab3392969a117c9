"""The FastAPI application: routes only translate between HTTP and the services layer."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.runtime import Runtime, get_runtime


def create_api(runtime_provider: Callable[[], Runtime] = get_runtime) -> FastAPI:
    """Build the API; runtime_provider gives the process's runtime (tests pass their own)."""
    api = FastAPI(title="Video Workflow Studio API", version="1.0.0", docs_url="/docs", openapi_url="/openapi.json")

    @api.get("/health", summary="Liveness and database check")
    def health() -> JSONResponse:
        runtime = runtime_provider()
        database = "ok" if runtime.database_ok() else "unreachable"
        status_code = 200 if database == "ok" else 503
        headers = {} if status_code == 200 else {"Retry-After": "5"}
        return JSONResponse({"status": "ok" if status_code == 200 else "degraded", "database": database},
                            status_code=status_code, headers=headers)

    return api
