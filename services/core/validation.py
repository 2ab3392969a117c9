"""Pure input checks and sanitising for user text and numbers."""

from __future__ import annotations

import unicodedata

from services.core.errors import ValidationError

_KEEP_CONTROL = {"\n", "\t"}


def clean_text(value: str | None, *, field: str, max_length: int, required: bool) -> str:
    """Normalise Unicode, strip control characters and surrounding space, and check the length."""
    text = unicodedata.normalize("NFC", value or "")
    text = "".join(ch for ch in text if ch in _KEEP_CONTROL or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if required and not text:
        raise ValidationError(f"{field} is required.")
    if len(text) > max_length:
        raise ValidationError(f"{field} is too long: {len(text)} characters, the limit is {max_length}.")
    return text


def check_int_range(value: int, *, field: str, minimum: int, maximum: int, unit: str = "") -> int:
    """An integer inside [minimum, maximum], or an error that states the range."""
    suffix = f" {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be a whole number.")
    if not minimum <= value <= maximum:
        raise ValidationError(f"{field} must be between {minimum} and {maximum}{suffix}; got {value}.")
    return value


MAX_PAGE_SIZE = 100  # rows per list page, in the API and the pages alike


def check_page(page: int, page_size: int) -> None:
    """A list page number and size inside their ranges, or an error that states the range."""
    check_int_range(page, field="Page", minimum=1, maximum=1_000_000)
    check_int_range(page_size, field="Page size", minimum=1, maximum=MAX_PAGE_SIZE)
