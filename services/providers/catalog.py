"""The model catalog: what each public model id is, what it can do and what it costs (from models.toml)."""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from services.core.errors import ConfigurationError, ValidationError

DEFAULT_CATALOG_PATH = Path(__file__).with_name("models.toml")
ROLES = ("refinement", "frames", "video")
PROVIDERS = ("poe", "replicate", "offline")
STATUSES = ("available", "retired", "unknown")
REPLICATE_INPUTS = ("sdxl", "dalle", "flux", "veo")
PRICE_FIELDS = (
    "per_1k_input_tokens",
    "per_1k_output_tokens",
    "per_image",
    "per_second",
    "per_second_with_audio",
    "per_message",
)


class UnsupportedRequestError(ValidationError):
    """The model cannot do what was asked (aspect ratio, length, fps); the message says why."""

    code = "unsupported_request"


@dataclass(frozen=True)
class Price:
    """List prices in USD (Poe points already converted); a model uses the ones that apply to its role."""

    per_1k_input_tokens: float = 0.0
    per_1k_output_tokens: float = 0.0
    per_image: float = 0.0
    per_second: float = 0.0  # video without sound (or the only price when the model has no sound switch)
    per_second_with_audio: float = 0.0  # video with sound; 0 means the same as per_second
    per_message: float = 0.0  # one bot reply, whatever its length (Poe media bots)
    source: str = ""  # where the figure comes from
    checked: str = ""  # when it was last read there (YYYY-MM-DD)
    known: bool = True  # False: no price is configured, so estimates say "unknown" instead of $0

    def video_per_second(self, *, sound: bool) -> float:
        """The per-second price with or without sound."""
        return self.per_second_with_audio if sound and self.per_second_with_audio else self.per_second


@dataclass(frozen=True)
class Lifecycle:
    """Whether the provider still serves the model, according to which source and when."""

    status: str = "unknown"  # available | retired | unknown
    retired_on: str | None = None
    successor: str | None = None  # the public id that serves requests for a retired id
    source: str = ""
    checked: str = ""

    @property
    def retired(self) -> bool:
        """True once the provider stopped serving the model."""
        return self.status == "retired"

    def describe(self) -> str:
        """'retired on 2026-01-05', 'available' or 'unknown'."""
        return f"retired on {self.retired_on}" if self.retired and self.retired_on else self.status


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
    sound: bool = False  # the model can make a soundtrack (Veo's generate_audio)
    expected_seconds: float | None = None  # how long one call usually takes, for progress until there is history
    price: Price = Price()
    lifecycle: Lifecycle = Lifecycle(status="available")

    @property
    def is_offline(self) -> bool:
        """True for the built-in offline renderers."""
        return self.provider == "offline"


@dataclass(frozen=True)
class VideoPlan:
    """How a requested video is made: the model's clips, at its rate and native ratio, finished to what was asked."""

    clips: tuple[int, ...]
    fps: int  # delivered
    seconds: int  # delivered (the clips may add up to a little more: the result is trimmed)
    aspect_ratio: str  # delivered
    model_fps: int  # what the model renders at (converted to fps when they differ)
    model_aspect_ratio: str  # what the model renders (reframed to aspect_ratio when they differ)

    @property
    def rendered_seconds(self) -> int:
        """Length of the clips joined, before trimming: what the provider bills."""
        return sum(self.clips)

    @property
    def reframed(self) -> bool:
        """True when the model cannot make the ratio itself and the result is reframed."""
        return self.model_aspect_ratio != self.aspect_ratio

    @property
    def needs_finishing(self) -> bool:
        """True when the clips must be joined, trimmed, converted or reframed after rendering."""
        converted = self.model_fps != self.fps or self.reframed
        return converted or len(self.clips) > 1 or self.rendered_seconds != self.seconds


def load_catalog(path: Path | None = None, *, usd_per_point: float = 0.0) -> dict[str, ModelSpec]:
    """Read and check the model configuration; a mistake names the entry and the field.

    Prices given in Poe points (`price_unit = "points"`) are converted at usd_per_point. The parsed file is kept
    until it changes on disk: each runtime and each page's offline banner asks for it.
    """
    source = path or DEFAULT_CATALOG_PATH
    try:
        stat = source.stat()
    except OSError as exc:
        raise ConfigurationError(f"MODEL_CONFIG_PATH: cannot read model configuration {source}: {exc}") from None
    return dict(_parsed_catalog(source, stat.st_mtime_ns, stat.st_size, usd_per_point))


@functools.lru_cache(maxsize=8)
def _parsed_catalog(source: Path, _mtime_ns: int, _size: int, usd_per_point: float) -> dict[str, ModelSpec]:
    """The checked catalog of one version of the file (its modification time and size are part of the key)."""
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"MODEL_CONFIG_PATH: cannot read model configuration {source}: {exc}") from None
    entries = data.get("models")
    if not isinstance(entries, dict) or not entries:
        raise ConfigurationError(f"MODEL_CONFIG_PATH: {source} has no [models.<id>] entries.")
    catalog = {model_id: _spec(model_id, entry, usd_per_point) for model_id, entry in entries.items()}
    for spec in catalog.values():
        _check_successor(spec, catalog)
    return catalog


def _check_successor(spec: ModelSpec, catalog: dict[str, ModelSpec]) -> None:
    successor = spec.lifecycle.successor
    if successor is None:
        return
    target = catalog.get(successor)
    if target is None or target.role != spec.role or target.lifecycle.retired:
        raise ConfigurationError(
            f"MODEL_CONFIG_PATH: model {spec.model_id!r}: successor {successor!r} must be a live {spec.role} model"
        )


def _spec(model_id: str, entry: dict, usd_per_point: float) -> ModelSpec:
    def fail(problem: str) -> ConfigurationError:
        return ConfigurationError(f"MODEL_CONFIG_PATH: model {model_id!r}: {problem}")

    if entry.get("role") not in ROLES:
        raise fail(f"role must be one of {', '.join(ROLES)}")
    if entry.get("provider") not in PROVIDERS:
        raise fail(f"provider must be one of {', '.join(PROVIDERS)}")
    if not isinstance(entry.get("reference"), str) or not entry["reference"]:
        raise fail("reference (bot name or owner/name) is required")
    if entry["provider"] == "replicate" and entry.get("inputs") not in REPLICATE_INPUTS:
        raise fail(f"inputs must be one of {', '.join(REPLICATE_INPUTS)} for a Replicate model")
    if entry.get("status", "available") not in STATUSES:
        raise fail(f"status must be one of {', '.join(STATUSES)}")
    if entry.get("status") == "retired" and not entry.get("retired_on"):
        raise fail("a retired model needs retired_on (YYYY-MM-DD)")
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
            sound=bool(entry.get("sound", False)),
            expected_seconds=float(entry["expected_seconds"]) if "expected_seconds" in entry else None,
            price=Price(source="built-in offline renderer: free")
            if entry["provider"] == "offline"
            else _price(entry, usd_per_point),
            lifecycle=Lifecycle(
                status=entry.get("status", "available"),
                retired_on=entry.get("retired_on"),
                successor=entry.get("successor"),
                source=str(entry.get("status_source", "")),
                checked=str(entry.get("status_checked", "")),
            ),
        )
    except (TypeError, ValueError) as exc:
        raise fail(str(exc)) from None


def _price(entry: dict, usd_per_point: float) -> Price:
    unit = entry.get("price_unit", "usd")
    if unit not in ("usd", "points"):
        raise ValueError("price_unit must be usd or points")
    rate = usd_per_point if unit == "points" else 1.0
    given = {name: float(entry[f"price_{name}"]) * rate for name in PRICE_FIELDS if f"price_{name}" in entry}
    source = str(entry.get("price_source", ""))
    if unit == "points":
        source = f"{source} (Poe points at ${usd_per_point}/point, POE_USD_PER_POINT)".strip()
    known = bool(given) and (unit == "usd" or usd_per_point > 0)
    return Price(**given, source=source, checked=str(entry.get("price_checked", "")), known=known)


def native_aspect_ratio(spec: ModelSpec, aspect_ratio: str) -> str:
    """The ratio the model renders for a requested one: itself when native, else the nearest native one."""
    if spec.aspect_ratios is None or aspect_ratio in spec.aspect_ratios:
        return aspect_ratio
    wanted = _ratio_value(aspect_ratio)
    return min(spec.aspect_ratios, key=lambda native: abs(math.log(_ratio_value(native) / wanted)))


def ratio_size(aspect_ratio: str, long_side: int) -> tuple[int, int]:
    """The largest size of exactly this ratio with its long side at most long_side, both sides multiples of 4.

    16:9 at 1024 is 1024x576, 4:5 is 816x1020, 21:9 is 1008x432: exact ratios, even sides for H.264.
    """
    width_part, height_part = (int(part) for part in aspect_ratio.split(":"))
    unit = max(4, long_side // max(width_part, height_part) // 4 * 4)
    return width_part * unit, height_part * unit


def _ratio_value(aspect_ratio: str) -> float:
    width, height = (int(part) for part in aspect_ratio.split(":"))
    return width / height


def check_frame(spec: ModelSpec, *, width: int, height: int, aspect_ratio: str) -> None:
    """Refuse a frame the model cannot draw (a ratio it lacks is drawn at the nearest one and reframed)."""
    if spec.max_side is not None and max(width, height) > spec.max_side:
        raise UnsupportedRequestError(
            f"{spec.model_id} draws at most {spec.max_side} px per side; {width}x{height} was asked for."
        )


def plan_video(spec: ModelSpec, *, seconds: int, fps: int, aspect_ratio: str) -> VideoPlan:
    """The clips that make a video of `seconds` at `fps` and `aspect_ratio`, or UnsupportedRequestError saying why not.

    A rate the model lacks is converted from its own; a ratio it lacks is rendered at the nearest native ratio and
    reframed; a length its clips cannot add up to is planned one clip longer and trimmed. Only a video longer than
    its clips joined can ever be refused.
    """
    model_fps = fps if spec.fps is None or fps in spec.fps else min(spec.fps, key=lambda rate: (abs(rate - fps), rate))
    native = native_aspect_ratio(spec, aspect_ratio)
    if spec.clip_seconds is None:
        return VideoPlan((seconds,), fps, seconds, aspect_ratio, model_fps, native)
    lengths = ", ".join(f"{c} s" for c in sorted(spec.clip_seconds))
    longest = spec.max_clips * max(spec.clip_seconds)
    clips = None
    for total in range(seconds, seconds + max(spec.clip_seconds) + 1):  # exact if possible, else the shortest longer
        clips = _fewest_clips(total, spec.clip_seconds)
        if clips is not None:
            break
    if clips is None or len(clips) > spec.max_clips:
        raise UnsupportedRequestError(
            f"{spec.model_id} makes clips of {lengths} and joins at most {spec.max_clips}, so its longest video "
            f"is {longest} s; {seconds} s was asked for."
        )
    return VideoPlan(clips, fps, seconds, aspect_ratio, model_fps, native)


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
