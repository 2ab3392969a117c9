"""What each provider serves right now: the board the registry consults, and the checks that fill it.

The checks read, never spend: Poe's `GET /v1/models` listing and Replicate's `GET /v1/models/{owner}/{name}`
(plus `/versions/{id}` for community models). A model found missing is refused before any paid call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import httpx

from services.providers.catalog import ModelSpec

log = logging.getLogger(__name__)
AVAILABLE, UNAVAILABLE, UNCHECKED = "available", "unavailable", "unchecked"


@dataclass(frozen=True)
class ModelAvailability:
    """The last check of one model: its state, why, and when."""

    state: str = UNCHECKED
    reason: str = "not checked yet"
    checked_at: datetime | None = None


class AvailabilityBoard:
    """Thread-safe latest availability per public model id (in memory, per process)."""

    def __init__(self) -> None:
        self._states: dict[str, ModelAvailability] = {}
        self._lock = threading.Lock()

    def record(self, model_id: str, availability: ModelAvailability) -> None:
        """Keep the newest result for model_id."""
        with self._lock:
            self._states[model_id] = availability

    def get(self, model_id: str) -> ModelAvailability:
        """The newest result for model_id (unchecked when there is none)."""
        with self._lock:
            return self._states.get(model_id, ModelAvailability())

    def unavailable_reason(self, model_id: str) -> str | None:
        """Why the model may not be used now, or None when nothing speaks against it."""
        state = self.get(model_id)
        return state.reason if state.state == UNAVAILABLE else None


class AvailabilityChecker:
    """Asks Poe and Replicate whether each configured model exists; only providers with a key are asked."""

    def __init__(
        self,
        *,
        poe: httpx.Client | None,
        replicate: httpx.Client | None,
        replicate_token: Callable[[], str] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.poe, self.replicate, self.replicate_token, self.clock = poe, replicate, replicate_token, clock

    def check(self, specs: Iterable[ModelSpec]) -> dict[str, ModelAvailability]:
        """One result per real model; providers without a client are reported as not checked, with the reason."""
        specs = [s for s in specs if not s.is_offline]
        results: dict[str, ModelAvailability] = {}
        poe_specs = [s for s in specs if s.provider == "poe"]
        if poe_specs:
            results.update(self._check_poe(poe_specs))
        for spec in (s for s in specs if s.provider == "replicate"):
            results[spec.model_id] = self._check_replicate(spec)
        return results

    def _result(self, state: str, reason: str) -> ModelAvailability:
        return ModelAvailability(state=state, reason=reason, checked_at=self.clock())

    def _check_poe(self, specs: list[ModelSpec]) -> dict[str, ModelAvailability]:
        if self.poe is None:
            return {s.model_id: self._result(UNCHECKED, "POE_API_KEY is not set") for s in specs}
        try:
            response = self.poe.get("/models")
            bots = {item["id"] for item in response.json()["data"]} if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("Poe's model listing could not be read: %s", type(exc).__name__)
            bots = None
        if bots is None:
            return {s.model_id: self._result(UNCHECKED, "Poe's model listing could not be read") for s in specs}
        return {
            s.model_id: self._result(AVAILABLE, f"Poe lists {s.reference}")
            if s.reference in bots
            else self._result(UNAVAILABLE, f"Poe does not list the bot {s.reference}")
            for s in specs
        }

    def _check_replicate(self, spec: ModelSpec) -> ModelAvailability:
        if self.replicate is None or self.replicate_token is None:
            return self._result(UNCHECKED, "REPLICATE_API_KEY is not set")
        path = f"/v1/models/{spec.reference}" + (f"/versions/{spec.version}" if spec.version else "")
        what = f"{spec.reference}:{spec.version[:8]}" if spec.version else spec.reference
        try:
            response = self.replicate.get(path, headers={"Authorization": f"Bearer {self.replicate_token()}"})
        except httpx.HTTPError as exc:
            return self._result(UNCHECKED, f"Replicate could not be reached ({type(exc).__name__})")
        if response.status_code == 200:
            return self._result(AVAILABLE, f"Replicate serves {what}")
        if response.status_code == 404:
            return self._result(UNAVAILABLE, f"Replicate has no model {what}")
        return self._result(UNCHECKED, f"Replicate answered {response.status_code} for {what}")
