"""The ETA a running job shows follows its recent pace, so it answers when the machine speeds up or slows down."""

from __future__ import annotations

from datetime import UTC, datetime

from services.jobs.context import ActiveJob
from services.jobs.records import Job, JobKind


class RecordedHeartbeats:
    """Stands in for the job store: keeps every progress write (percent, eta) instead of sending it to a database."""

    def __init__(self) -> None:
        self.writes: list[tuple[int, int | None]] = []

    def heartbeat(self, job: Job, *, percent: int | None, message: str | None, eta_seconds: int | None) -> None:
        self.writes.append((percent or 0, eta_seconds))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _render(pace: list[tuple[int, float]]) -> dict[int, int | None]:
    """Run a one-part job frame by frame at the given (frames, seconds per frame) stretches.

    Returns the ETA shown from each whole percent on (writes are throttled, so not every percent is written).
    """
    store, clock = RecordedHeartbeats(), Clock()
    now = datetime.now(UTC)
    job = Job(
        id="j", workflow_id="w", user_id="u", kind=JobKind.GENERATE_VIDEO, params={}, max_attempts=1,
        created_at=now, updated_at=now,
    )  # fmt: skip
    active = ActiveJob(store, job, clock=clock)  # type: ignore[arg-type]
    active.plan_parts(["video"])
    total, done = sum(frames for frames, _ in pace), 0
    for frames, seconds in pace:
        for _ in range(frames):
            clock.now += seconds
            done += 1
            active.report_fraction("video", done / total, f"Encoding frame {done} of {total}")
    shown = dict(store.writes)
    return {percent: shown[max(p for p in shown if p <= percent)] for percent in range(min(shown), 100)}


def test_at_a_steady_pace_the_eta_is_the_time_left():
    etas = _render([(1000, 0.01)])  # 10 s in all
    assert etas[50] == 5 and etas[90] == 1


def test_when_the_render_speeds_up_halfway_the_eta_follows_the_new_pace_within_seconds():
    # 500 frames at 20 ms (10 s), then the machine frees up: 500 at 5 ms (2.5 s more).
    etas = _render([(500, 0.02), (500, 0.005)])
    # Averaged since the start, 60% would still say about 6 s (the first half's pace); 2 s into the faster pace the
    # ETA is the 1.6 s actually left, give or take a second.
    assert etas[90] is not None and etas[90] <= 1
    assert etas[80] is not None and abs(etas[80] - 1) <= 1


def test_when_the_render_slows_down_the_eta_grows_instead_of_promising_the_old_pace():
    etas = _render([(500, 0.005), (500, 0.02)])  # 2.5 s, then 10 s more
    assert etas[75] is not None and etas[75] >= 4  # 250 frames left at 20 ms = 5 s; the whole-run average says 2
