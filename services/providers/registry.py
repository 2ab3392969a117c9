"""Model registry: public model ids mapped to the provider that serves them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from services.core.errors import UnknownModelError
from services.providers.base import FrameGenerator, PromptRefiner, VideoGenerator
from services.providers.catalog import ModelSpec


class ModelRole(StrEnum):
    REFINEMENT = "refinement"
    FRAMES = "frames"
    VIDEO = "video"


# The spec's public model ids per role, plus the always-available offline ones.
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


class ModelRegistry:
    """Resolves a public model id to its provider, per role."""

    def __init__(self) -> None:
        self._entries: dict[ModelRole, dict[str, ResolvedModel]] = {role: {} for role in ModelRole}

    def register(
        self, role: ModelRole, model_id: str, *, provider_name: str, implementation: object, spec: ModelSpec | None = None
    ) -> None:
        """Serve model_id for this role with implementation."""
        self._entries[role][model_id] = ResolvedModel(model_id, provider_name, implementation, spec)

    def model_ids(self, role: ModelRole) -> list[str]:
        """The ids a user can pick for this role, in registration order."""
        return list(self._entries[role])

    def _resolve(self, role: ModelRole, model_id: str) -> ResolvedModel:
        entry = self._entries[role].get(model_id)
        if entry is None:
            valid = ", ".join(self._entries[role]) or "none"
            raise UnknownModelError(f"Unknown {role.value} model {model_id!r}. Valid models: {valid}.")
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
