"""Provider callbacks: Replicate webhooks, verified on the raw body. Answers first, captures output after."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import RuntimeDep
from api.errors import error_responses
from services.core.errors import NotFoundError

webhooks_router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@webhooks_router.post(
    "/replicate",
    operation_id="replicateWebhook",
    summary="Replicate prediction callbacks",
    responses={
        200: {"description": "Received (a repeated delivery is acknowledged and ignored)."},
        **error_responses(401, 404, 413),
    },
)
async def replicate_webhook(request: Request, runtime: RuntimeDep, background: BackgroundTasks) -> JSONResponse:
    inbox = runtime.webhooks
    if inbox is None:
        raise NotFoundError("Replicate webhooks are not enabled here: set REPLICATE_WEBHOOK_SECRET.")
    body = await request.body()  # the raw bytes: the signature covers exactly these
    outcome = await run_in_threadpool(inbox.receive, dict(request.headers), body)
    if outcome.capture_due:
        background.add_task(run_in_threadpool, inbox.capture_output, outcome)
    return JSONResponse({"received": True, "duplicate": outcome.duplicate})
