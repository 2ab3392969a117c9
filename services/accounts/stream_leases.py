"""How many long-lived responses (server-sent event streams) one user may hold open at once, per process."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from services.accounts.rate_limits import RateLimitedError

EVENT_STREAMS = "event_streams"


class StreamLeases:
    """Counts open streams per user; one more than the cap is refused with a 429-style error."""

    def __init__(self, *, per_user: int) -> None:
        self.per_user = per_user
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, user_id: str) -> Callable[[], None]:
        """Take one of the user's stream slots; returns the (idempotent) function that gives it back."""
        with self._lock:
            if self._open[user_id] >= self.per_user:
                raise RateLimitedError(
                    f"You already have {self.per_user} event streams open, the limit. Close one, then retry.",
                    limit=f"{self.per_user} open streams",
                    operation=EVENT_STREAMS,
                    retry_after=1,
                    quota=self.per_user,
                )
            self._open[user_id] += 1
        released = threading.Event()

        def release() -> None:
            with self._lock:
                if released.is_set():
                    return
                released.set()
                self._open[user_id] -= 1
                if self._open[user_id] <= 0:
                    del self._open[user_id]

        return release

    def open_for(self, user_id: str) -> int:
        """Streams the user holds open right now."""
        with self._lock:
            return self._open.get(user_id, 0)

    def total(self) -> int:
        """Streams open in this process."""
        with self._lock:
            return sum(self._open.values())
