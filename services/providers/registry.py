"""Model registry: public model ids mapped to the provider that serves them, with their lifecycle.

A retired id resolves to its named successor, so old clients keep working and the record says which
model ran. A model the availability check found missing is refused (ModelUnavailableError, a 422 at
the API) before anything is sent, with the model to use instead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from services.core.clock import utc_now
from services.core.errors import ModelUnavailableError, ProviderModelMissingError, UnknownModelError
from services.providers.availability import UNAVAILABLE, AvailabilityBoard, ModelAvailability
from services.providers.base import FrameGenerator, PromptRefiner, VideoGenerator
from services.providers.catalog import Lifecycle, ModelSpec
from services.providers.circuit_breaker import CircuitBreakers


class ModelRole(StrEnum):
    REFINEMENT = "refinement"
    FRAMES = "frames"
    VIDEO = "video"


# The spec's public model ids per role (a floor: the configuration adds current models), plus the offline ones.
SPEC_MODEL_IDS: dict[ModelRole, tuple[str, ...]] = {
    ModelRole.REFINEMENT: ("gpt-4o", "claude-3-opus-20240229", "gemini-1.5-pro"),
    ModelRole.FRAMES: ("stable-diffusion-xl", "dalle-3"),
    ModelRole.VIDEO: ("veo-3", "Video-Generator-PRO"),
}
OFFLINE_MODEL_IDS: dict[ModelRole, str] = {
    ModelRole.REFINEMENT: "offline-refiner",
    ModelRole.FRAMES: "offline-storyboard",
    ModelRole.VIDEO: "offline-animatic",
}

P = TypeVar("P")


@dataclass(frozen=True)
class ResolvedModel(Generic[P]):
    """A model id with the implementation that serves it and the provider's name."""

    model_id: str
    provider_name: str
    implementation: P
    spec: ModelSpec | None = None  # limits and price; None for test fakes (no limits, no cost)
    requested_id: str | None = None  # the retired id the caller asked for, when model_id is its successor
    retired_on: str | None = None

    @property
    def substitution(self) -> str | None:
        """'claude-3-opus-20240229 → claude-opus-4.6 (the original was retired on 2026-01-05)', or None."""
        if self.requested_id is None:
            return None
        return f"{self.requested_id} → {self.model_id} (the original was retired on {self.retired_on})"


@dataclass(frozen=True)
class ModelChoice:
    """One entry of a model picker: what to show, and whether (and why not) it can be picked."""

    model_id: str
    label: str
    enabled: bool
    reason: str | None = None


class ModelRegistry:
    """Resolves a public model id to its provider, per role, honouring retirements and availability."""

    def __init__(self, availability: AvailabilityBoard | None = None) -> None:
        self._entries: dict[ModelRole, dict[str, ResolvedModel]] = {role: {} for role in ModelRole}
        self._retired: dict[str, Lifecycle] = {}
        self.availability = availability or AvailabilityBoard()
        self.catalog: dict[str, ModelSpec] = {}  # the configuration it was built from (empty for test registries)
        self.breakers = CircuitBreakers()  # one per real provider model (build_registry configures them)

    def register(
        self, role: ModelRole, model_id: str, *, provider_name: str, implementation: object, spec: ModelSpec | None = None
    ) -> None:
        """Serve model_id for this role with implementation (a retired spec resolves to its successor)."""
        self._entries[role][model_id] = ResolvedModel(model_id, provider_name, implementation, spec)
        if spec is not None and spec.model_id == model_id and spec.lifecycle.retired:
            self._retired[model_id] = spec.lifecycle

    def retire(self, model_id: str, *, retired_on: str, successor: str | None, source: str = "") -> None:
        """Mark a registered id retired from now on (configuration does this at start-up)."""
        self._retired[model_id] = Lifecycle(
            status="retired", retired_on=retired_on, successor=successor, source=source, checked=retired_on
        )

    def note_failure(self, model_id: str, error: BaseException | None) -> None:
        """A provider that says the model does not exist disables it here, so nobody pays to find out again."""
        if isinstance(error, ProviderModelMissingError):
            self.availability.record(
                model_id, ModelAvailability(state=UNAVAILABLE, reason=error.message.rstrip("."), checked_at=utc_now())
            )

    def lifecycle(self, model_id: str) -> Lifecycle | None:
        """The retirement of model_id, if it is retired."""
        return self._retired.get(model_id)

    def model_ids(self, role: ModelRole) -> list[str]:
        """Every id this role knows, in registration order (retired ones included, for old clients)."""
        return list(self._entries[role])

    def choices(self, role: ModelRole) -> list[ModelChoice]:
        """The picker entries: retired and unavailable models are shown, disabled, with the reason."""
        return [self._choice(role, model_id) for model_id in self._entries[role]]

    def _choice(self, role: ModelRole, model_id: str) -> ModelChoice:
        retired = self._retired.get(model_id)
        if retired is not None:
            instead = f"; use {retired.successor}" if retired.successor else ""
            reason = f"retired on {retired.retired_on}{instead}"
            arrow = f" → {retired.successor}" if retired.successor else ""
            return ModelChoice(model_id, f"{model_id}{arrow} (retired on {retired.retired_on})", False, reason)
        missing = self.availability.unavailable_reason(model_id)
        if missing is not None:
            successor = self._suggestion(role, model_id)
            reason = f"unavailable: {missing}" + (f"; use {successor}" if successor else "")
            return ModelChoice(model_id, f"{model_id} (unavailable)", False, reason)
        return ModelChoice(model_id, model_id, True)

    def _suggestion(self, role: ModelRole, model_id: str) -> str | None:
        """What to use instead of model_id: its configured successor, else the first usable model of the role."""
        entry = self._entries[role].get(model_id)
        configured = entry.spec.lifecycle.successor if entry is not None and entry.spec is not None else None
        if configured is not None:
            return configured
        return next(
            (
                other
                for other in self._entries[role]
                if other != model_id and other not in self._retired and self.availability.unavailable_reason(other) is None
            ),
            None,
        )

    def usable(self, role: ModelRole, model_id: str) -> str:
        """model_id when it can run, else the model to use instead (for defaults nobody picked explicitly)."""
        try:
            self._resolve(role, model_id)
        except ModelUnavailableError as refusal:
            if refusal.successor is not None:
                return refusal.successor
            raise
        return model_id

    def _resolve(self, role: ModelRole, model_id: str, *, _depth: int = 0) -> ResolvedModel:
        entry = self._entries[role].get(model_id)
        if entry is None:
            valid = ", ".join(self._entries[role]) or "none"
            raise UnknownModelError(f"Unknown {role.value} model {model_id!r}. Valid models: {valid}.")
        retired = self._retired.get(model_id)
        if retired is not None:
            if retired.successor is None or _depth > len(self._retired):
                raise ModelUnavailableError(
                    f"{model_id} was retired on {retired.retired_on} and has no successor. Pick another {role.value} model.",
                    model=model_id,
                    successor=None,
                )
            runs = self._resolve(role, retired.successor, _depth=_depth + 1)
            return dataclasses.replace(runs, requested_id=model_id, retired_on=retired.retired_on)
        missing = self.availability.unavailable_reason(model_id)
        if missing is not None:
            successor = self._suggestion(role, model_id)
            instead = f" Use {successor} instead." if successor else f" Pick another {role.value} model."
            raise ModelUnavailableError(
                f"{model_id} is unavailable: {missing}.{instead}", model=model_id, successor=successor
            )
        return entry

    def refiner(self, model_id: str) -> ResolvedModel[PromptRefiner]:
        """The refiner serving model_id."""
        return self._resolve(ModelRole.REFINEMENT, model_id)

    def frame_generator(self, model_id: str) -> ResolvedModel[FrameGenerator]:
        """The frame generator serving model_id."""
        return self._resolve(ModelRole.FRAMES, model_id)

    def video_generator(self, model_id: str) -> ResolvedModel[VideoGenerator]:
        """The video generator serving model_id."""
        return self._resolve(ModelRole.VIDEO, model_id)
