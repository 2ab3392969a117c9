"""Opaque random credentials that are stored only as hashes (refresh tokens, API keys)."""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str) -> str:
    """A fresh credential with a recognisable prefix and 256 bits of randomness."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def hash_secret(value: str) -> str:
    """The stored form of a credential; SHA-256 suffices because the value is high-entropy random."""
    return hashlib.sha256(value.encode()).hexdigest()
