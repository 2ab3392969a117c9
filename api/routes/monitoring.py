"""Liveness, readiness and the Prometheus scrape: what orchestrators and monitoring call."""

from __future__ import annotations

import hmac

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import RuntimeDep
from services.core import metrics
from services.core.clock import utc_now
from services.jobs.queue_metrics import JobQueueCollector
from services.providers.offline_roles import offline_roles

monitoring_router = APIRouter(tags=["monitoring"])


@monitoring_router.get(
    "/health",
    summary="Liveness: the process serves requests; offlineRoles lists the roles drawn by offline stand-ins",
)
def health(runtime: RuntimeDep) -> dict:
    return {"status": "ok", "offlineRoles": offline_roles(runtime.settings)}


@monitoring_router.get(
    "/ready",
    summary="Readiness: the database (and Redis, in scale-out mode) answer",
    responses={503: {"description": "A dependency is unreachable; retry after a few seconds."}},
)
def ready(runtime: RuntimeDep) -> JSONResponse:
    checks = runtime.readiness()
    ok = all(state == "ok" for state in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", **checks},
        status_code=200 if ok else 503,
        headers={} if ok else {"Retry-After": "5"},
    )


@monitoring_router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}},
        401: {"description": "METRICS_TOKEN is set and the bearer token is not it."},
    },
)
async def prometheus_metrics(request: Request, runtime: RuntimeDep) -> Response:
    expected = runtime.settings.METRICS_TOKEN
    if expected is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
            return Response(
                "Send Authorization: Bearer <METRICS_TOKEN> to read the metrics.\n",
                status_code=401,
                media_type="text/plain",
                headers={"WWW-Authenticate": "Bearer"},
            )
    body = await anyio.to_thread.run_sync(metrics.exposition, JobQueueCollector(runtime.db, utc_now))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
