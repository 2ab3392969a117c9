"""Offline prompt refiners: deterministic production prompts with no network, one house style per model.

Each spec model id keeps its own structure, so comparing models in the Prompt Lab is useful without keys:
`gpt-4o` writes a tight shot list, `claude-3-opus-20240229` detailed cinematography prose, and
`gemini-1.5-pro` story beats with timings. Any other id gets the generic structured production prompt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from services.providers.base import Brief, RefinementRequest, RefinementResult

CAMERA_MOVES = (
    "slow dolly-in",
    "handheld follow shot",
    "smooth gimbal orbit",
    "locked-off tripod frame",
    "crane rise",
    "whip pan into a push-in",
)
LIGHTING = (
    "soft golden-hour key light with warm rim",
    "high-key studio light, clean whites",
    "moody low-key light with hard shadows",
    "overcast diffused daylight",
    "neon practicals with cool fill",
    "bright natural window light",
)
PALETTES = (
    "warm ambers and deep teal",
    "pastel blush and mint",
    "monochrome with one accent colour",
    "saturated primaries",
    "earthy olive and terracotta",
    "cool blues and silver",
)
LENSES = ("24mm wide", "35mm", "50mm normal", "85mm portrait", "anamorphic 40mm")
SHOT_SIZES = ("WIDE", "MEDIUM", "CLOSE-UP", "INSERT", "HERO")


def _pick(options: tuple[str, ...], *seed_parts: str, salt: str = "") -> str:
    digest = hashlib.sha256("|".join((salt, *seed_parts)).encode()).digest()
    return options[digest[0] % len(options)]


def _notes(request: RefinementRequest) -> list[str]:
    notes = [past.additional_info for past in request.history if past.additional_info]
    if request.additional_info:
        notes.append(request.additional_info)
    return notes


def _beats(duration: int) -> tuple[int, int, int]:
    third = max(1, round(duration / 3))
    return third, min(duration, 2 * third), duration


def _a(phrase: str) -> str:
    """The phrase with its indefinite article ("an energetic", "a calm")."""
    return f"{'an' if phrase[:1].lower() in 'aeiou' else 'a'} {phrase}"


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


class OfflineRefiner:
    """A deterministic refiner: the same request gives the same prompt; new notes change it; each model has a style."""

    def refine(self, request: RefinementRequest) -> RefinementResult:
        """Write the prompt in the requested model's house style (the generic one for other ids)."""
        writer = STYLES.get(request.model, production_prompt)
        text = writer(request.brief, _notes(request), len(request.history) + 1)
        prompt_words = len(request.brief.initial_prompt.split()) + sum(len(n.split()) for n in _notes(request))
        return RefinementResult(
            refined_prompt=text, usage={"prompt_tokens": prompt_words, "completion_tokens": len(text.split())}
        )


def production_prompt(brief: Brief, notes: list[str], round_number: int) -> str:
    """The generic structured production prompt (shots, camera, light, style, audience, tone, notes)."""
    seed = (brief.title, brief.initial_prompt, brief.tone, *notes)
    opening, middle, closing = _beats(brief.duration)
    lines = [
        f"PRODUCTION PROMPT — {brief.title} (refinement round {round_number})",
        f"Concept: {brief.initial_prompt}",
        f"Audience: {brief.target_audience or 'general audience'}. Tone: {brief.tone or 'neutral'}.",
        f"Format: {brief.duration} s, {brief.aspect_ratio} aspect ratio. Visual style: {brief.style or 'cinematic'}.",
        f"Camera: {_pick(CAMERA_MOVES, *seed)}. Lighting: {_pick(LIGHTING, *seed)}. Palette: {_pick(PALETTES, *seed)}.",
        "Shots:",
        f"  1. Opening (0–{opening} s): establish the world of '{brief.title}' and hook the "
        f"{brief.target_audience or 'viewer'} in the first seconds.",
        f"  2. Middle ({opening}–{middle} s): the subject in action; show the idea, not tell it, "
        f"with a {brief.tone or 'clear'} energy.",
        f"  3. Closing ({middle}–{closing} s): resolve on a memorable hero image that carries the message.",
    ]
    if notes:
        lines.append("Director's notes, applied: " + " | ".join(notes))
    lines.append("Keep subjects, wardrobe and colour consistent across every shot.")
    return "\n".join(lines)


def shot_list(brief: Brief, notes: list[str], round_number: int) -> str:
    """gpt-4o's stand-in: a tight, numbered shot list, one line per shot."""
    seed = (brief.title, brief.initial_prompt, brief.tone, *notes)
    shots = 4 if brief.duration >= 12 else 3
    step = max(1, brief.duration // shots)
    lines = [
        f"SHOT LIST — {brief.title} · {brief.duration} s · {brief.aspect_ratio} · round {round_number}",
        f"Idea: {brief.initial_prompt}",
    ]
    actions = ("establish the setting", "introduce the subject", "the subject in action", "hero moment, message lands")
    for index in range(shots):
        start, end = index * step, brief.duration if index == shots - 1 else (index + 1) * step
        size = SHOT_SIZES[min(index, len(SHOT_SIZES) - 1)] if index < shots - 1 else "HERO"
        action = actions[index] if shots == 4 else actions[(0, 2, 3)[index]]
        move = _pick(CAMERA_MOVES, *seed, salt=str(index))
        lines.append(f"{index + 1}. {size} · {start}–{end} s · {action} · {move}")
    lines.append(
        f"Look: {brief.style or 'cinematic'}; {_pick(LIGHTING, *seed)}; {_pick(PALETTES, *seed)}. "
        f"For: {brief.target_audience or 'general audience'}. Tone: {brief.tone or 'neutral'}."
    )
    if notes:
        lines.append("Notes: " + " | ".join(notes))
    return "\n".join(lines)


def cinematography_prose(brief: Brief, notes: list[str], round_number: int) -> str:
    """claude-3-opus's stand-in: detailed cinematography prose in paragraphs."""
    seed = (brief.title, brief.initial_prompt, brief.tone, *notes)
    audience = brief.target_audience or "a general audience"
    paragraphs = [
        f"{brief.title} (draft {round_number}). {brief.initial_prompt.rstrip('.')}. Over {brief.duration} seconds in "
        f"{brief.aspect_ratio}, the film speaks to {audience} with {_a(brief.tone or 'measured')} voice, rendered in "
        f"{_a(brief.style or 'cinematic')} style.",
        f"We open on {_a(_pick(LENSES, *seed))} lens with {_a(_pick(CAMERA_MOVES, *seed))}, letting the world breathe "
        f"before the subject enters. The light is {_pick(LIGHTING, *seed)}, shaping faces and textures; the palette "
        f"leans on {_pick(PALETTES, *seed)}, with shallow depth of field isolating the subject from the background.",
        f"As the story turns, the camera moves closer: {_a(_pick(CAMERA_MOVES, *seed, salt='middle'))} on "
        f"{_a(_pick(LENSES, *seed, salt='middle'))}, motion carried through the cut so the energy builds without a jolt. "
        "We close on a composed hero frame, held a beat longer than expected, leaving room for the message.",
    ]
    if notes:
        paragraphs.append(
            "In this draft the director asked for: " + "; ".join(notes) + ". Each request shapes the shots above."
        )
    return "\n\n".join(paragraphs)


def timed_beats(brief: Brief, notes: list[str], round_number: int) -> str:
    """gemini-1.5-pro's stand-in: story beats with timecodes."""
    seed = (brief.title, brief.initial_prompt, brief.tone, *notes)
    opening, middle, closing = _beats(brief.duration)
    hook = min(2, opening)
    beats = [
        (0, hook, "HOOK", f"a striking first image from '{brief.initial_prompt}'"),
        (hook, opening, "SETUP", f"the world and the subject; {_pick(LIGHTING, *seed)}"),
        (opening, middle, "BUILD", f"the subject in action, {_pick(CAMERA_MOVES, *seed)}, {brief.tone or 'steady'} pace"),
        (middle, closing, "PAYOFF", f"the hero image for {brief.target_audience or 'the viewer'}; message on screen"),
    ]
    lines = [f"BEATS — {brief.title} (v{round_number}) · {brief.aspect_ratio} · {brief.style or 'cinematic'}"]
    lines += [f"[{_clock(start)}–{_clock(end)}] {name}: {what}" for start, end, name, what in beats if end > start]
    lines.append(f"Palette: {_pick(PALETTES, *seed)}.")
    if notes:
        lines.append("Applied notes: " + " | ".join(notes))
    return "\n".join(lines)


STYLES: dict[str, Callable[[Brief, list[str], int], str]] = {
    "gpt-4o": shot_list,
    "claude-3-opus-20240229": cinematography_prose,
    "gemini-1.5-pro": timed_beats,
    # The current models that succeed them (issue 18) keep their house styles.
    "gpt-5.2": shot_list,
    "claude-opus-4.6": cinematography_prose,
    "claude-sonnet-4.6": cinematography_prose,
    "gemini-3.1-pro": timed_beats,
}
