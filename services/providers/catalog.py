"""The model catalog: what each public model id is, what it can do and what it costs (from models.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from services.core.errors import ConfigurationError, ValidationError

DEFAULT_CATALOG_PATH = Path(__file__).with_name("models.toml")
ROLES = ("refinement", "frames", "video")
PROVIDERS = ("poe", "replicate", "offline")


class UnsupportedRequestError(ValidationError):
    """The model cannot do what was asked (aspect ratio, length, fps); the message says why."""

    code = "unsupported_request"


@dataclass(frozen=True)
class Price:
    """List prices in USD; a model uses the ones that apply to its role."""

    per_1k_input_tokens: float = 0.0
    per_1k_output_tokens: float = 0.0
    per_image: float = 0.0
    per_second: float = 0.0


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry: provider, reference, limits and price."""

    model_id: str
    role: str
    provider: str
    reference: str
    version: str | None = None
    inputs: str | None = None
    aspect_ratios: tuple[str, ...] | None = None
    max_side: int | None = None
    clip_seconds: tuple[int, ...] | None = None
    max_clips: int = 1
    fps: tuple[int, ...] | None = None
    first_frame: bool = False
    price: Price = Price()

    @property
    def is_offline(self) -> bool:
        """True for the built-in offline renderers."""
        return self.provider == "offline"


@dataclass(frozen=True)
class VideoPlan:
    """How a requested video is made: one or more clips joined, at one frame rate."""

    clips: tuple[int, ...]
    fps: int

    @property
    def seconds(self) -> int:
        """Length of the joined video."""
        return sum(self.clips)


def load_catalog(path: Path | None = None) -> dict[str, ModelSpec]:
    """Read and check the model configuration; a mistake names the entry and the field."""
    source = path or DEFAULT_CATALOG_PATH
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"MODEL_CONFIG_PATH: cannot read model configuration {source}: {exc}") from None
    entries = data.get("models")
    if not isinstance(entries, dict) or not entries:
        raise ConfigurationError(f"MODEL_CONFIG_PATH: {source} has no [models.<id>] entries.")
    return {model_id: _spec(model_id, entry) for model_id, entry in entries.items()}


def _spec(model_id: str, entry: dict) -> ModelSpec:
    def fail(problem: str) -> ConfigurationError:
        return ConfigurationError(f"MODEL_CONFIG_PATH: model {model_id!r}: {problem}")

    if entry.get("role") not in ROLES:
        raise fail(f"role must be one of {', '.join(ROLES)}")
    if entry.get("provider") not in PROVIDERS:
        raise fail(f"provider must be one of {', '.join(PROVIDERS)}")
    if not isinstance(entry.get("reference"), str) or not entry["reference"]:
        raise fail("reference (bot name or owner/name) is required")
    if entry["provider"] == "replicate" and entry.get("inputs") not in ("sdxl", "dalle", "veo"):
        raise fail("inputs must be sdxl, dalle or veo for a Replicate model")
    clips = tuple(entry["clip_seconds"]) if "clip_seconds" in entry else None
    if clips is not None and (not clips or any(not isinstance(c, int) or c <= 0 for c in clips)):
        raise fail("clip_seconds must be a list of positive whole seconds")
    try:
        return ModelSpec(
            model_id=model_id,
            role=entry["role"],
            provider=entry["provider"],
            reference=entry["reference"],
            version=entry.get("version"),
            inputs=entry.get("inputs"),
            aspect_ratios=tuple(entry["aspect_ratios"]) if "aspect_ratios" in entry else None,
            max_side=entry.get("max_side"),
            clip_seconds=clips,
            max_clips=int(entry.get("max_clips", 1)),
            fps=tuple(entry["fps"]) if "fps" in entry else None,
            first_frame=bool(entry.get("first_frame", False)),
            price=Price(
                per_1k_input_tokens=float(entry.get("price_per_1k_input_tokens", 0.0)),
                per_1k_output_tokens=float(entry.get("price_per_1k_output_tokens", 0.0)),
                per_image=float(entry.get("price_per_image", 0.0)),
                per_second=float(entry.get("price_per_second", 0.0)),
            ),
        )
    except (TypeError, ValueError) as exc:
        raise fail(str(exc)) from None


def check_aspect_ratio(spec: ModelSpec, aspect_ratio: str) -> None:
    """Refuse an aspect ratio the model cannot make."""
    if spec.aspect_ratios is not None and aspect_ratio not in spec.aspect_ratios:
        raise UnsupportedRequestError(
            f"{spec.model_id} makes {' or '.join(spec.aspect_ratios)} only, not {aspect_ratio}. "
            "Pick another aspect ratio or another model."
        )


def check_frame(spec: ModelSpec, *, width: int, height: int, aspect_ratio: str) -> None:
    """Refuse a frame the model cannot draw."""
    check_aspect_ratio(spec, aspect_ratio)
    if spec.max_side is not None and max(width, height) > spec.max_side:
        raise UnsupportedRequestError(
            f"{spec.model_id} draws at most {spec.max_side} px per side; {width}x{height} was asked for."
        )


def plan_video(spec: ModelSpec, *, seconds: int, fps: int, aspect_ratio: str) -> VideoPlan:
    """The clips that make a video of `seconds`, or UnsupportedRequestError saying why it can't be made."""
    check_aspect_ratio(spec, aspect_ratio)
    if spec.fps is not None and fps not in spec.fps:
        raise UnsupportedRequestError(
            f"{spec.model_id} renders at {' or '.join(map(str, spec.fps))} fps only, not {fps} fps."
        )
    if spec.clip_seconds is None:
        return VideoPlan(clips=(seconds,), fps=fps)
    clips = _fewest_clips(seconds, spec.clip_seconds)
    lengths = ", ".join(f"{c} s" for c in sorted(spec.clip_seconds))
    if clips is None:
        shorter = [s for s in range(seconds - 1, 0, -1) if _fewest_clips(s, spec.clip_seconds)][:1]
        longer = [
            s for s in range(seconds + 1, seconds + max(spec.clip_seconds) + 1) if _fewest_clips(s, spec.clip_seconds)
        ][:1]
        hint = f" Try {' or '.join(f'{s} s' for s in shorter + longer)}." if shorter + longer else ""
        raise UnsupportedRequestError(
            f"{spec.model_id} makes clips of {lengths}; {seconds} s cannot be built from them.{hint}"
        )
    if len(clips) > spec.max_clips:
        longest = spec.max_clips * max(spec.clip_seconds)
        raise UnsupportedRequestError(
            f"{spec.model_id} makes clips of {lengths} and joins at most {spec.max_clips}, so its longest video "
            f"is {longest} s; {seconds} s was asked for."
        )
    return VideoPlan(clips=clips, fps=fps)


def _fewest_clips(seconds: int, lengths: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shortest list of clip lengths that adds up to exactly `seconds` (longest clips first)."""
    best: list[tuple[int, ...] | None] = [()] + [None] * seconds
    for total in range(1, seconds + 1):
        for length in sorted(lengths, reverse=True):
            previous = best[total - length] if total >= length else None
            current = best[total]
            if previous is not None and (current is None or len(previous) + 1 < len(current)):
                best[total] = tuple(sorted((*previous, length), reverse=True))
    return best[seconds]
