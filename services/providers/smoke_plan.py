"""The `make smoke` plan: one real call per provider and role, chosen from the configuration, priced first.

Refinement on Poe (the default refinement model, or its successor), one frame on each live frame model,
and the cheapest video on each video provider. `make smoke ARGS=--list` prints this plan and spends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.core.settings import Settings
from services.providers.catalog import ModelSpec
from services.providers.registry import ModelRegistry, ModelRole
from services.providers.status import price_text

KEYS = {"poe": "POE_API_KEY", "replicate": "REPLICATE_API_KEY"}


@dataclass(frozen=True)
class SmokeCall:
    """One planned call: what, on which model, how long (video), what it is estimated to cost, and why not (skip)."""

    role: str
    model_id: str
    provider: str
    seconds: int = 0
    estimate: str = ""
    skip: str | None = None  # why this call will not run (no key, unavailable)


def smoke_plan(registry: ModelRegistry, settings: Settings) -> list[SmokeCall]:
    """The calls `make smoke` makes (or skips, saying why)."""
    live = [s for s in registry.catalog.values() if not s.is_offline and not s.lifecycle.retired]
    refiner = registry.usable(ModelRole.REFINEMENT, settings.DEFAULT_REFINEMENT_MODEL)
    calls = [_call(registry, settings, registry.catalog[refiner])]
    calls += [_call(registry, settings, s) for s in live if s.role == "frames"]
    for provider in ("poe", "replicate"):
        videos = [s for s in live if s.role == "video" and s.provider == provider]
        if videos:
            cheapest = min(videos, key=lambda s: (not s.price.known, _video_cost(s), _shortest(s)))
            calls.append(_call(registry, settings, cheapest))
    return calls


def _shortest(spec: ModelSpec) -> int:
    return min(spec.clip_seconds) if spec.clip_seconds else 4


def _video_cost(spec: ModelSpec) -> float:
    return spec.price.video_per_second(sound=False) * _shortest(spec) + spec.price.per_message


def _call(registry: ModelRegistry, settings: Settings, spec: ModelSpec) -> SmokeCall:
    key = KEYS[spec.provider]
    has_key = getattr(settings, key) is not None
    missing = registry.availability.unavailable_reason(spec.model_id)
    skip = f"{key} is not set" if not has_key else (f"unavailable: {missing}" if missing else None)
    seconds = _shortest(spec) if spec.role == "video" else 0
    if not spec.price.known:
        estimate = "price unknown"
    elif spec.role == "video":
        estimate = f"about ${_video_cost(spec):.2f} ({seconds} s, silent)"
    elif spec.role == "frames":
        estimate = f"about ${spec.price.per_image:.4f}"
    else:
        estimate = f"under $0.05 ({price_text(spec)})"
    return SmokeCall(spec.role, spec.model_id, spec.provider, seconds, estimate, skip)
