"""Byte ranges as the media routes read them (RFC 9110): one range served, anything odd ignored, beyond the end refused."""

from __future__ import annotations

import pytest

from api.media_responses import UnsatisfiableRange, byte_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", (0, 99)),
        ("bytes=10-", (10, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("bytes=9-3", None),
        ("items=0-1", None),
        ("bytes=-", None),
        ("bytes=٣-4", None),  # non-ASCII digits are not a range
    ],
)
def test_a_range_header_is_read_as_one_span_or_ignored(header: str | None, expected: tuple[int, int] | None):
    assert byte_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=-0"])
def test_a_range_beyond_the_end_is_unsatisfiable(header: str):
    with pytest.raises(UnsatisfiableRange):
        byte_range(header, 1000)
