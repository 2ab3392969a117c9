"""Liveness says the process serves; readiness says its dependencies (database, Redis in scale-out) answer."""

from __future__ import annotations

from pymongo import MongoClient

from tests.support.api_fixtures import ApiServer
from tests.support.network import free_port


def test_ready_when_the_database_answers_and_not_ready_when_it_does_not(api_server: ApiServer):
    client = api_server.client()
    assert client.get("/health").json() == {"status": "ok", "offlineRoles": ["refinement", "frames", "video"]}
    assert client.get("/ready").json() == {"status": "ready", "database": "ok", "mediaStore": "ok"}

    unreachable: MongoClient = MongoClient(f"mongodb://127.0.0.1:{free_port()}", serverSelectionTimeoutMS=300)
    healthy_db, api_server.runtime.db = api_server.runtime.db, unreachable["studio"]
    try:
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.headers["Retry-After"] == "5"
        assert ready.json() == {"status": "not ready", "database": "unreachable", "mediaStore": "ok"}
        assert client.get("/health").status_code == 200, "liveness does not depend on the database"
    finally:
        api_server.runtime.db = healthy_db
        unreachable.close()


def test_scale_out_readiness_includes_redis(make_api_server, redis_url: str):
    live = make_api_server(JOB_BACKEND="redis", REDIS_URL=redis_url).client().get("/ready")
    assert live.status_code == 200 and live.json() == {
        "status": "ready",
        "database": "ok",
        "mediaStore": "ok",
        "redis": "ok",
    }

    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    down = make_api_server(JOB_BACKEND="redis", REDIS_URL=dead_redis).client().get("/ready")
    assert down.status_code == 503 and down.json()["redis"] == "unreachable"


def test_health_lists_only_the_roles_no_provider_key_can_serve(make_api_server):
    poe_only = make_api_server(POE_API_KEY="poe-test-key").client().get("/health").json()
    assert poe_only["offlineRoles"] == ["frames"], "Poe serves refinement and, through its video bots, video"

    both = make_api_server(POE_API_KEY="poe-test-key", REPLICATE_API_KEY="r8-test-key").client().get("/health").json()
    assert both == {"status": "ok", "offlineRoles": []}
