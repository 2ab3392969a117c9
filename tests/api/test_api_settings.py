"""API settings: no configuration needed in development, real secrets required elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.accounts.access_tokens import signing_keys
from services.core.errors import ConfigurationError
from services.core.settings import load_settings


def test_development_generates_one_signing_key_and_keeps_it_across_restarts(tmp_path: Path):
    settings = load_settings(_env_file=None, DATA_DIR=tmp_path)
    first, again = signing_keys(settings), signing_keys(settings)
    assert first == again and len(first[0].secret) >= 32
    assert (tmp_path / "jwt-signing-key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("keys", [None, "k1:changeme", "k1:short-secret", "no-kid-separator"])
def test_production_refuses_missing_placeholder_or_short_signing_keys(tmp_path: Path, keys):
    overrides = {"JWT_SIGNING_KEYS": keys} if keys else {}
    with pytest.raises(ConfigurationError, match="JWT_SIGNING_KEYS"):
        load_settings(_env_file=None, DATA_DIR=tmp_path, ENVIRONMENT="production", **overrides)


def test_production_accepts_real_keys_and_the_first_one_signs(tmp_path: Path):
    settings = load_settings(
        _env_file=None,
        DATA_DIR=tmp_path,
        ENVIRONMENT="production",
        JWT_SIGNING_KEYS=f"2026-11:{'a' * 40},2026-05:{'b' * 40}",
    )
    assert [key.kid for key in signing_keys(settings)] == ["2026-11", "2026-05"]
    assert not (tmp_path / "jwt-signing-key").exists()
