"""Interactive API docs (Swagger UI) from assets pinned in an installed package: no CDN, nothing unpinned.

The assets come from `fastapi-offline` (pinned in requirements.txt), which ships a Swagger UI 5 bundle that
renders OpenAPI 3.1. The page is served only when `settings.api_docs` (off in production unless API_DOCS=true).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from api.deps import RuntimeDep
from services.core.errors import NotFoundError

ASSETS = Path(fastapi_offline.__file__).parent / "static"
# Swagger UI starts itself with one inline script; everything else must come from this origin.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
docs_router = APIRouter(include_in_schema=False)


def docs_assets() -> Mount:
    """The pinned Swagger UI files at /docs-assets."""
    return Mount("/docs-assets", app=StaticFiles(directory=ASSETS), name="docs-assets")


@docs_router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    if not runtime.settings.api_docs:
        raise NotFoundError("The interactive API docs are off here (API_DOCS).")
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="Video Workflow Studio API",
        swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
        swagger_favicon_url=f"{root}/docs-assets/favicon.png",
    )
    page.headers["Content-Security-Policy"] = DOCS_CSP
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page
