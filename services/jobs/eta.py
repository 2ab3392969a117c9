"""How long a running job has left, from how fast it has moved lately. Pure: the caller passes the time."""

from __future__ import annotations

from collections import deque

# The rate is that of the most recent third of the attempt (at least WINDOW_MIN seconds of it), so the ETA answers
# when the machine speeds up or slows down mid-render, instead of averaging in a start that ran at another pace.
WINDOW_SHARE = 1 / 3
WINDOW_MIN = 2.0
MIN_MOVE = 0.01  # no ETA until the job has moved 1%: a rate from less is noise


class RateEstimate:
    """Seconds left for a job whose fraction done is reported as it moves."""

    def __init__(self, now: float, done: float = 0.0) -> None:
        self.restart(now, done)

    def restart(self, now: float, done: float) -> None:
        """A new attempt starts at `now` with `done` of the job already finished (by an earlier attempt)."""
        self._started, self._base = now, done
        self._history: deque[tuple[float, float]] = deque()  # (when, fraction done), oldest first

    def seconds_left(self, done: float, now: float) -> float | None:
        """Seconds left at the recent rate, or None until this attempt has moved 1%; also remembers this point."""
        if done - self._base < MIN_MOVE:
            return None
        window_start = now - max(WINDOW_MIN, (now - self._started) * WINDOW_SHARE)
        while len(self._history) > 1 and self._history[1][0] <= window_start:
            self._history.popleft()  # keep one point at or before the window's start
        since, then = self._history[0] if self._history else (self._started, self._base)
        if since > window_start or done - then < MIN_MOVE:  # too little of the window seen or moved: whole attempt
            since, then = self._started, self._base
        self._history.append((now, done))
        return (now - since) * (1 - done) / (done - then)
