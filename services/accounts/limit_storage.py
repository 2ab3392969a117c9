"""The rate-limit storages the studio accepts (memory, Redis, a hand-moved clock for tests) and their refunds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from limits.storage import MemoryStorage, MovingWindowSupport, RedisStorage, Storage, storage_from_string

from services.core.errors import ConfigurationError


def sync_storage(uri: str) -> Storage:
    """The limits storage for uri; an async-only scheme (async+redis://) is refused with what to use instead."""
    storage = storage_from_string(uri)
    if not isinstance(storage, Storage):
        raise ConfigurationError(f"RATE_LIMIT_STORAGE_URI: {uri.split(':', 1)[0]} is async-only; use memory:// or redis://.")
    return storage


def forget_latest(storage: Storage, key: str) -> None:
    """Remove the newest moving-window entry of key (the `limits` storages keep no other record of a hit)."""
    if isinstance(storage, ClockedMemoryStorage):
        storage.forget_latest(key)
    elif isinstance(storage, MemoryStorage):
        with storage.locks[key]:
            if storage.events.get(key):
                del storage.events[key][0]  # newest first
    elif isinstance(storage, RedisStorage):
        connection: Any = storage.get_connection()  # a redis-py client; the library's protocol type omits lpop
        connection.lpop(storage.prefixed_key(key))  # the moving window is a list, newest at the head
    else:  # pragma: no cover - settings accept only the storages above
        raise ConfigurationError(
            f"RATE_LIMIT_STORAGE_URI: {type(storage).__name__} cannot refund a refused request; use memory:// or redis://."
        )


class ClockedMemoryStorage(Storage, MovingWindowSupport):
    """An in-process moving-window storage that reads an injected clock (tests move time with it)."""

    STORAGE_SCHEME = ["clocked-memory"]

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self.clock = clock
        self._events: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return RuntimeError

    def _live(self, key: str, expiry: float) -> list[float]:
        horizon = self.clock() - expiry
        events = [t for t in self._events.get(key, []) if t > horizon]
        self._events[key] = events
        return events

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        with self._lock:
            events = self._live(key, expiry)
            if len(events) + amount > limit:
                return False
            events.extend([self.clock()] * amount)
            return True

    def forget_latest(self, key: str) -> None:
        """Remove the newest hit of key (a refund)."""
        with self._lock:
            if self._events.get(key):
                self._events[key].pop()

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        with self._lock:
            events = self._live(key, expiry)
            return (events[0], len(events)) if events else (self.clock(), 0)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count amount hits now; the hits within the last expiry seconds (what a fixed window checks)."""
        with self._lock:
            events = self._live(key, expiry)
            events.extend([self.clock()] * amount)
            return len(events)

    def get(self, key: str) -> int:
        with self._lock:
            return len(self._events.get(key, []))

    def get_expiry(self, key: str) -> float:
        return self.clock()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._events)
            self._events.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)
