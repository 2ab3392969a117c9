"""The FastAPI application: routes only translate between HTTP and the services layer."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, Mount, NoMatchFound
from starlette.types import Receive, Scope, Send

from api.body_limit import BodySizeLimit
from api.database_guard import DatabaseRestartGuard
from api.errors import install_error_handlers
from api.observability import RequestObservability
from api.routes.auth import auth_router, keys_router
from api.routes.callbacks import callbacks_router
from api.routes.docs import docs_assets, docs_router
from api.routes.lab import lab_router
from api.routes.lab_variations import variations_router
from api.routes.media import media_router
from api.routes.models import models_router
from api.routes.monitoring import monitoring_router
from api.routes.review import owner_router as review_owner_router
from api.routes.review import public_router as review_public_router
from api.routes.ui_session import ui_session_router
from api.routes.webhooks import webhooks_router
from api.routes.workflow_events import router as workflow_events_router
from api.routes.workflows import router as workflows_router
from services.bootstrap import Runtime, get_runtime

DESCRIPTION = """The spec's video workflow endpoints. Authenticate with `Authorization: Bearer <access token>`
from `POST /api/auth/token`, or with a personal API key (`X-API-Key`). Every error is a problem JSON
(`type`, `title`, `status`, `detail`, `code`). The workflow endpoints also answer at the spec's own paths,
without the `/api` prefix (`/video-workflows...`): the same operations, authentication and limits.
Frames are numbered from 0."""


class ApiMount(Mount):
    """Mount at /api whose pattern also matches paths with encoded line breaks, so the API answers them."""

    def __init__(self, path: str, app: FastAPI) -> None:
        super().__init__(path, app=app)
        # Starlette's `.*` stops at a newline; such a URL would get the outer app's plain-text 404.
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


class SeedPaths(BaseRoute):
    """The spec's own paths (`/video-workflows...`, no `/api`), answered by the very same API app.

    The request reaches the API unchanged, so the same routes, authentication, limits and errors apply;
    the OpenAPI document (at /api/openapi.json) lists each operation once, under /api.
    """

    PATTERN = re.compile(r"^/video-workflows(/.*)?$", re.DOTALL)

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """A full match for HTTP requests to /video-workflows and below."""
        path = scope.get("path", "")[len(scope.get("root_path", "")) :]
        if scope["type"] == "http" and self.PATTERN.match(path):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: object) -> URLPath:
        """The API's routes are reversed under /api, never here."""
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand the request to the API as it came."""
        await self.app(scope, receive, send)


def api_routes(runtime_provider: Callable[[], Runtime] = get_runtime) -> list[BaseRoute]:
    """One API app, served at /api and at the spec's own /video-workflows paths, as app.py serves it."""
    api = create_api(runtime_provider)
    return [ApiMount("/api", app=api), SeedPaths(api)]


def mount_api(runtime_provider: Callable[[], Runtime] = get_runtime) -> Mount:
    """The API mounted at /api only."""
    return ApiMount("/api", app=create_api(runtime_provider))


def create_api(runtime_provider: Callable[[], Runtime] = get_runtime) -> FastAPI:
    """Build the API; runtime_provider gives the process's runtime (tests pass their own)."""
    api = FastAPI(
        title="Video Workflow Studio API",
        version="1.0.0",
        description=DESCRIPTION,
        docs_url=None,  # served by api/routes/docs.py from pinned, installed assets
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    api.state.runtime_provider = runtime_provider
    install_error_handlers(api)
    api.add_middleware(BodySizeLimit, max_bytes=lambda: runtime_provider().settings.MAX_REQUEST_BODY_BYTES)
    routers = (
        auth_router,
        keys_router,
        workflows_router,
        workflow_events_router,
        lab_router,
        variations_router,
        review_owner_router,
        review_public_router,
        media_router,
        webhooks_router,
        callbacks_router,
        models_router,
        monitoring_router,
        ui_session_router,
    )
    for router in routers:
        api.include_router(router)
    api.include_router(docs_router)
    api.router.routes.append(docs_assets())
    api.add_middleware(DatabaseRestartGuard, restarting=lambda: runtime_provider().database_restarting())
    api.add_middleware(RequestObservability)  # outermost: it times and tags everything, body limit included
    # Every method of every path, so a 405 can list them all in Allow.
    api.state.route_methods = [
        (route.path_regex, route.methods) for router in routers for route in router.routes if isinstance(route, APIRoute)
    ]
    return api
