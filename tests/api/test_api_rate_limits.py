"""Rate limits from the spec, on a clock the tests move: 429, Retry-After, audit, and no provider call."""

from __future__ import annotations

import threading
from collections.abc import Callable

from services.accounts.audit import AuditLog
from services.accounts.rate_limits import REFINEMENT, VIDEO, ClockedMemoryStorage, RateLimitedError, RateLimits
from services.core.clock import utc_now
from tests.support.api_fixtures import SHORT_BRIEF, ApiServer, FakeClock, Scripted, workflow_at


def _throttled(response, *, retry_after: int, limit: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == str(retry_after)
    body = response.json()
    assert (body["code"], body["limit"], body["retryAfter"]) == ("rate_limited", limit, retry_after)
    assert response.headers["RateLimit"].endswith(f";r=0;t={retry_after}")


def test_the_61st_refinement_in_a_minute_gets_429_and_reaches_no_provider(make_api_server: Callable[..., ApiServer]):
    scripted = Scripted()
    server = make_api_server(scripted.registry, clocked=True, MAX_REFINEMENT_ITERATIONS=100)
    user_id, client = server.user_client()
    workflow_id = client.post("/video-workflows", json=SHORT_BRIEF).json()["id"]
    for _ in range(60):
        assert client.post(f"/video-workflows/{workflow_id}/refine-prompt", json={}).status_code == 200
        server.clock.advance(0.5)

    _throttled(
        client.post(f"/video-workflows/{workflow_id}/refine-prompt", json={}), retry_after=30, limit="60 per 1 minute"
    )
    assert len(scripted.refiner.history) == 60
    assert server.runtime.db["audit_log"].count_documents({"event": "rate_limited", "actor": user_id}) == 1

    server.clock.advance(30)
    assert client.post(f"/video-workflows/{workflow_id}/refine-prompt", json={}).status_code == 200


def test_the_11th_frame_request_in_a_minute_gets_429(make_api_server: Callable[..., ApiServer]):
    scripted = Scripted()
    server = make_api_server(scripted.registry, clocked=True)
    _, client = server.user_client()
    workflows = [workflow_at(client, "refined") for _ in range(11)]
    for workflow_id in workflows[:10]:
        assert client.post(f"/video-workflows/{workflow_id}/generate-frames", json={"frameCount": 1}).status_code == 200
        server.clock.advance(2)

    throttled = client.post(f"/video-workflows/{workflows[10]}/generate-frames", json={"frameCount": 1})
    _throttled(throttled, retry_after=40, limit="10 per 1 minute")
    assert len(scripted.frames.history) == 10


def test_the_2nd_video_in_an_hour_gets_429_whichever_api_key_the_user_sends_it_with(
    make_api_server: Callable[..., ApiServer],
):
    scripted = Scripted()
    server = make_api_server(scripted.registry, clocked=True)
    _, client = server.user_client()
    first, second, third = (workflow_at(client, "approved") for _ in range(3))
    assert client.post(f"/video-workflows/{first}/generate-video", json={"fps": 12}).status_code == 200
    server.clock.advance(600)

    throttled = client.post(f"/video-workflows/{second}/generate-video", json={"fps": 12})
    _throttled(throttled, retry_after=3000, limit="1 per 1 hour")
    assert throttled.headers["RateLimit-Policy"] == '"video";q=1;w=3600'
    assert len(scripted.video.history) == 1

    # Creating, using and revoking keys in a loop never resets the user's count.
    for round_number in range(3):
        created = client.post("/api-keys", json={"name": f"batch {round_number}"}).json()
        by_key = server.client(**{"X-API-Key": created["key"]})
        _throttled(
            by_key.post(f"/video-workflows/{third}/generate-video", json={"fps": 12}),
            retry_after=3000,
            limit="1 per 1 hour",
        )
        assert client.delete(f"/api-keys/{created['id']}").status_code == 200
    assert len(scripted.video.history) == 1
    server.clock.advance(3000)
    assert client.post(f"/video-workflows/{second}/generate-video", json={"fps": 12}).status_code == 200


def test_50_concurrent_requests_against_a_limit_of_10_let_exactly_10_through(make_api_server):
    scripted = Scripted()
    server = make_api_server(scripted.registry, RATE_LIMIT_REFINEMENT="10/minute")
    _, client = server.user_client()
    # 50 workflows, so every request would start work: only the limit can refuse them.
    workflows = [client.post("/video-workflows", json=SHORT_BRIEF).json()["id"] for _ in range(50)]
    barrier = threading.Barrier(50)
    statuses: list[int] = []
    lock = threading.Lock()

    def refine(workflow_id: str) -> None:
        barrier.wait()
        status = client.post(f"/video-workflows/{workflow_id}/refine-prompt", json={}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=refine, args=(workflow_id,)) for workflow_id in workflows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 10 + [429] * 40
    assert len(scripted.refiner.history) == 10


def test_exempt_keys_are_never_throttled(make_api_server):
    server = make_api_server(clocked=True, RATE_LIMIT_REFINEMENT="1/minute", MAX_REFINEMENT_ITERATIONS=5)
    user_id, client = server.user_client()
    server.runtime.api.rate_limits.exempt.add(user_id)
    workflow_id = client.post("/video-workflows", json=SHORT_BRIEF).json()["id"]
    assert [client.post(f"/video-workflows/{workflow_id}/refine-prompt", json={}).status_code for _ in range(3)] == [
        200,
        200,
        200,
    ]


def _limits(settings, db, **overrides) -> tuple[RateLimits, FakeClock]:
    clock = FakeClock()
    limits = RateLimits(
        settings=settings.model_copy(update=overrides),
        db=db,
        audit=AuditLog(db, clock=utc_now),
        storage=ClockedMemoryStorage(clock.time),
        wall_clock=clock.time,
    )
    return limits, clock


def test_the_daily_frame_limit_of_100_holds_across_minutes(settings, db):
    limits, clock = _limits(settings, db)
    for _ in range(10):
        for _ in range(10):
            limits.check("frames", identity="key:a", user_id="u")
        clock.advance(61)
    try:
        limits.check("frames", identity="key:a", user_id="u")
        raise AssertionError("the 101st frame request of the day must be refused")
    except RateLimitedError as refused:
        assert refused.limit == "100 per 1 day"
        assert refused.retry_after == 86_400 - 10 * 61


def test_a_tier_gives_other_limits_and_every_tier_change_is_audited(settings, db):
    limits, _ = _limits(settings, db, RATE_LIMIT_TIERS='{"studio": {"video": "3/hour"}}')
    limits.set_tier(user_id="u1", tier="studio", actor="admin")
    for _ in range(3):
        limits.check(VIDEO, identity="user:u1:default", user_id="u1")
    limits.check(REFINEMENT, identity="u1", user_id="u1")
    limits.set_tier(user_id="u1", tier=None, actor="admin")
    changes = list(db["audit_log"].find({"event": "rate_limit_tier_changed"}, {"_id": 0, "fromTier": 1, "toTier": 1}))
    assert changes == [{"fromTier": None, "toTier": "studio"}, {"fromTier": "studio", "toTier": None}]


def test_the_clocked_storage_counts_hits_for_fixed_windows_and_forgets_them_as_time_moves():
    now = [1000.0]
    storage = ClockedMemoryStorage(lambda: now[0])
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    now[0] += 61
    assert storage.incr("k", 60, amount=2) == 2
