"""Offline prompt refiner: writes a structured production prompt with no network."""

from __future__ import annotations

import hashlib

from services.providers.base import RefinementRequest, RefinementResult

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


def _pick(options: tuple[str, ...], *seed_parts: str) -> str:
    digest = hashlib.sha256("|".join(seed_parts).encode()).digest()
    return options[digest[0] % len(options)]


class OfflineRefiner:
    """A deterministic refiner: the same request gives the same prompt; new notes change it."""

    def refine(self, request: RefinementRequest) -> RefinementResult:
        """Build the production prompt from every brief field, earlier rounds and the notes."""
        brief = request.brief
        notes = [past.additional_info for past in request.history if past.additional_info]
        if request.additional_info:
            notes.append(request.additional_info)
        seed = (brief.title, brief.initial_prompt, brief.tone, *notes)
        round_number = len(request.history) + 1
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
        text = "\n".join(lines)
        words = len(text.split())
        return RefinementResult(refined_prompt=text, usage={"prompt_tokens": 0, "completion_tokens": words})


def _beats(duration: int) -> tuple[int, int, int]:
    third = max(1, round(duration / 3))
    return third, min(duration, 2 * third), duration
