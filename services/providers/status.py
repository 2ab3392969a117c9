"""Provider status: each configured model's lifecycle, live availability and price, as table rows.

`make doctor`, the background check and Settings → Provider status all read these rows. The page
lives at `/settings#provider-status` (PROVIDER_STATUS_URL), so banners elsewhere can link to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from services.core.clock import utc_now
from services.core.settings import Settings
from services.core.tls import shared_tls_context
from services.providers.availability import AvailabilityChecker, ModelAvailability
from services.providers.catalog import ModelSpec
from services.providers.registry import ModelRegistry

PROVIDER_STATUS_URL = "/settings#provider-status"
PROVIDER_KEYS = {"poe": "POE_API_KEY", "replicate": "REPLICATE_API_KEY"}


@dataclass(frozen=True)
class ProviderStatusRow:
    """One model: what it maps to, whether it runs today (by configuration and by the live check), its price."""

    model_id: str
    role: str
    provider: str
    reference: str
    lifecycle: str  # "available", "unknown", "retired on 2026-01-05 → claude-opus-4.6"
    lifecycle_source: str
    availability: str  # available | unavailable | unchecked
    reason: str
    checked_at: datetime | None
    price: str
    price_source: str
    circuit: str = "closed"  # the circuit breaker: closed, or open / half-open with when it is tried again


class ProviderStatus:
    """Builds the rows from the registry, and refreshes its availability board from the providers."""

    def __init__(
        self,
        registry: ModelRegistry,
        settings: Settings,
        *,
        transports: dict[str, httpx.BaseTransport | None] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.registry, self.settings, self.clock = registry, settings, clock
        self.transports = transports or {}

    def missing_keys(self) -> list[str]:
        """The provider keys the environment lacks (their models are not checked and run offline)."""
        s = self.settings
        present = {"poe": s.POE_API_KEY is not None, "replicate": s.REPLICATE_API_KEY is not None}
        return [PROVIDER_KEYS[p] for p, here in present.items() if not here]

    def has_keys(self) -> bool:
        """True when at least one provider key is set (so a check can ask someone)."""
        return len(self.missing_keys()) < len(PROVIDER_KEYS)

    def check_now(self) -> list[ProviderStatusRow]:
        """Ask the providers (read-only calls, nothing paid), record the results, and return the rows."""
        s = self.settings
        timeout = httpx.Timeout(20.0, connect=s.PROVIDER_CONNECT_TIMEOUT_SECONDS)
        poe = replicate = None
        if s.POE_API_KEY is not None:
            poe = httpx.Client(
                base_url=s.POE_BASE_URL, timeout=timeout, verify=shared_tls_context(), transport=self.transports.get("poe")
            )
        if s.REPLICATE_API_KEY is not None:
            replicate = httpx.Client(
                base_url=s.REPLICATE_BASE_URL,
                timeout=timeout,
                verify=shared_tls_context(),
                transport=self.transports.get("replicate"),
            )
        token = s.REPLICATE_API_KEY
        checker = AvailabilityChecker(
            poe=poe,
            replicate=replicate,
            replicate_token=(lambda: token.get_secret_value()) if token is not None else None,
            clock=self.clock,
        )
        try:
            for model_id, result in checker.check(self._real_specs()).items():
                self.registry.availability.record(model_id, result)
        finally:
            for client in (poe, replicate):
                if client is not None:
                    client.close()
        return self.rows()

    def _real_specs(self) -> list[ModelSpec]:
        return [spec for spec in self.registry.catalog.values() if not spec.is_offline]

    def rows(self) -> list[ProviderStatusRow]:
        """Every configured model, in configuration order."""
        return [self._row(spec) for spec in self.registry.catalog.values()]

    def _row(self, spec: ModelSpec) -> ProviderStatusRow:
        life = spec.lifecycle
        lifecycle = life.describe() + (f" → {life.successor}" if life.successor else "")
        live = self.registry.availability.get(spec.model_id)
        if spec.is_offline:
            live = ModelAvailability(state="available", reason="built in, always available")
        elif live.checked_at is None and spec.provider in ("poe", "replicate"):
            missing = PROVIDER_KEYS[spec.provider]
            if missing in self.missing_keys():
                live = ModelAvailability(reason=f"{missing} is not set: the offline renderer serves it")
        checked = f", {life.checked}" if life.checked else ""
        price_checked = f", {spec.price.checked}" if spec.price.checked else ", date unknown"
        return ProviderStatusRow(
            model_id=spec.model_id,
            role=spec.role,
            provider=spec.provider,
            reference=spec.reference + (f":{spec.version[:8]}" if spec.version else ""),
            lifecycle=lifecycle,
            lifecycle_source=f"{life.source}{checked}" if life.source else "",
            availability=live.state,
            reason=live.reason,
            checked_at=live.checked_at,
            price=price_text(spec),
            price_source=f"{spec.price.source}{price_checked}" if spec.price.source else "",
            circuit=self._circuit(spec.model_id),
        )

    def _circuit(self, model_id: str) -> str:
        breaker = self.registry.breakers.state_of(model_id)
        if breaker is None or breaker.retry_at() is None:
            return "closed"
        return f"{breaker.state.value}: failing fast until {breaker.retry_at():%H:%M:%S} UTC"


def price_text(spec: ModelSpec) -> str:
    """The model's price in a few characters, or 'unknown'."""
    p = spec.price
    if spec.is_offline:
        return "free"
    if not p.known:
        return "unknown"
    if spec.role == "refinement":
        return f"${p.per_1k_input_tokens}/${p.per_1k_output_tokens} per 1k tokens in/out"
    if spec.role == "frames":
        return f"${p.per_image}/image"
    text = f"${p.per_second}/s"
    if p.per_second_with_audio:
        text = f"${p.per_second}/s silent, ${p.per_second_with_audio}/s with sound"
    return text + (f" + ${p.per_message}/reply" if p.per_message else "")
