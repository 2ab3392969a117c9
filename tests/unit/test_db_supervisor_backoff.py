"""The embedded database supervisor's restart schedule."""

from __future__ import annotations

from services.storage.db_supervisor import backoff_delays


def test_the_database_supervisor_restarts_at_once_then_backs_off_doubling_up_to_thirty_seconds():
    assert [backoff_delays()(attempt) for attempt in range(1, 9)] == [0, 1, 2, 4, 8, 16, 30, 30]
