"""Prompt Lab's pure parts: per-model offline refiners, the word diff and the CSV export."""

from __future__ import annotations

import pytest

from services.lab.diff import diff_counts, diff_html, word_diff
from services.providers.base import Brief, PastRound, RefinementRequest
from services.providers.offline_refiner import OfflineRefiner

BRIEF = Brief("Harbour Lights", "Fishing boats return at dusk", "tourists", "nostalgic", 20, "watercolour", "4:3")
MODELS = ("gpt-4o", "claude-opus-4.6", "gemini-3.1-pro")


def refine(model: str, notes: str | None = "add seagulls", history: tuple[PastRound, ...] = ()) -> str:
    return OfflineRefiner().refine(RefinementRequest(BRIEF, history, notes, model)).refined_prompt


@pytest.mark.parametrize("model", MODELS)
def test_each_offline_model_uses_the_brief_and_the_notes_and_is_deterministic(model: str):
    text = refine(model)
    for expected in ("Harbour Lights", "Fishing boats return at dusk", "tourists", "4:3", "watercolour", "add seagulls"):
        assert expected in text, (model, expected)
    assert text == refine(model)
    assert text != refine(model, notes="add fireworks")
    assert "add seagulls" in refine(model, notes="add fireworks", history=(PastRound("add seagulls", "earlier"),))


def test_the_three_offline_models_have_their_own_structure():
    shot_list, prose, beats = (refine(m) for m in MODELS)
    assert shot_list.startswith("SHOT LIST") and "\n1. WIDE" in shot_list and "\n3. " in shot_list
    assert prose.count("\n\n") >= 2 and "lens" in prose and "SHOT LIST" not in prose
    assert beats.startswith("BEATS") and "[0:00–0:02] HOOK" in beats and "PAYOFF" in beats
    assert len({shot_list, prose, beats, refine("offline-refiner")}) == 4


def test_the_word_diff_marks_insertions_and_deletions_and_rebuilds_both_texts():
    before, after = "A red kite over the bay.\nSlow pan.", "A blue kite over the windy bay.\nSlow pan."
    segments = word_diff(before, after)
    assert "".join(s.text for s in segments if s.op != "insert") == before
    assert "".join(s.text for s in segments if s.op != "delete") == after
    assert [(s.op, s.text.strip()) for s in segments if s.op != "equal"] == [
        ("delete", "red"),
        ("insert", "blue"),
        ("insert", "windy"),
    ]
    assert diff_counts(segments) == (2, 1)
    rendered = diff_html(word_diff("x <b>", "y <b>"))
    assert "<ins" in rendered and "<del" in rendered and "&lt;b&gt;" in rendered and "<b>" not in rendered
