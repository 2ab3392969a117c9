"""/api/docs uses only pinned assets from an installed package, and is off in production unless API_DOCS=true."""

from __future__ import annotations

import re
import secrets

from tests.support.api_fixtures import ApiServer


def test_the_docs_load_every_asset_from_this_server(api_server: ApiServer):
    page = api_server.client().get("/docs")
    assert page.status_code == 200 and "cdn" not in page.text.lower() and "unpkg" not in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/api/") for s in sources), sources
    for source in sources:
        asset = api_server.client().get(source.removeprefix("/api"))
        assert asset.status_code == 200 and len(asset.content) > 1000, source
    assert api_server.client().get("/openapi.json").json()["openapi"].startswith("3.1")


def test_production_serves_no_docs_unless_asked(make_api_server):
    production = {"ENVIRONMENT": "production", "METRICS_TOKEN": secrets.token_urlsafe(32)}
    keys = f"k1:{secrets.token_urlsafe(32)}"
    off: ApiServer = make_api_server(JWT_SIGNING_KEYS=keys, **production)
    assert off.client().get("/docs").status_code == 404
    on: ApiServer = make_api_server(JWT_SIGNING_KEYS=keys, API_DOCS=True, **production)
    assert on.client().get("/docs").status_code == 200
