"""Word-level diff between two refined prompts (difflib), as segments and as highlighted HTML. Pure."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass
from typing import Literal

Op = Literal["equal", "insert", "delete"]
_TOKENS = re.compile(r"\S+|\s+")  # words and the whitespace between them, so the text can be rebuilt exactly


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


def word_diff(before: str, after: str) -> list[Segment]:
    """Segments that turn `before` into `after`: equal text, deleted words, inserted words (replacements are both)."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(segments, "equal", "".join(old[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _append(segments, "delete", "".join(old[i1:i2]))
        if tag in ("insert", "replace"):
            _append(segments, "insert", "".join(new[j1:j2]))
    return segments


def _append(segments: list[Segment], op: Op, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op, segments[-1].text + text)
    else:
        segments.append(Segment(op, text))


def diff_counts(segments: list[Segment]) -> tuple[int, int]:
    """Words inserted and words deleted."""
    inserted = sum(len(s.text.split()) for s in segments if s.op == "insert")
    deleted = sum(len(s.text.split()) for s in segments if s.op == "delete")
    return inserted, deleted


INSERT_STYLE = "background:#d3f9d8;color:#0b5d1e;text-decoration:none"
DELETE_STYLE = "background:#ffe3e3;color:#a61e1e"


def diff_html(segments: list[Segment]) -> str:
    """The diff as escaped HTML: insertions in green <ins>, deletions struck through in red <del>, lines kept."""
    parts = []
    for segment in segments:
        text = html.escape(segment.text)  # pre-wrap keeps the line breaks
        if segment.op == "insert":
            parts.append(f'<ins style="{INSERT_STYLE}">{text}</ins>')
        elif segment.op == "delete":
            parts.append(f'<del style="{DELETE_STYLE}">{text}</del>')
        else:
            parts.append(text)
    return '<div style="white-space:pre-wrap;font-family:inherit;line-height:1.5">' + "".join(parts) + "</div>"
