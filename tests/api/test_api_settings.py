"""API settings: no configuration needed in development, real secrets required elsewhere."""

from __future__ import annotations

import secrets
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
        JWT_SIGNING_KEYS=f"2026-11:{secrets.token_urlsafe(32)},2026-05:{secrets.token_urlsafe(32)}",
        METRICS_TOKEN=secrets.token_urlsafe(32),
    )
    assert [key.kid for key in signing_keys(settings)] == ["2026-11", "2026-05"]
    assert not (tmp_path / "jwt-signing-key").exists()


GOOD = {"JWT_SIGNING_KEYS": f"k1:{secrets.token_urlsafe(32)}", "METRICS_TOKEN": secrets.token_urlsafe(32)}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"METRICS_TOKEN": None}, "METRICS_TOKEN is required"),
        ({"METRICS_TOKEN": "metrics"}, "METRICS_TOKEN is too guessable"),
        ({"WEBHOOK_ALLOW_PRIVATE_TARGETS": True}, "WEBHOOK_ALLOW_PRIVATE_TARGETS"),
        ({"JWT_SIGNING_KEYS": f"k1:{'a' * 32}"}, "JWT_SIGNING_KEYS: the secret of key 'k1' has under 128 bits"),
        ({"JWT_SIGNING_KEYS": f"k1:{'abc' * 12}"}, "JWT_SIGNING_KEYS"),
    ],
)
def test_each_unsafe_production_setting_stops_start_up_naming_it(tmp_path: Path, change: dict, named: str):
    values = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(ConfigurationError, match=named):
        load_settings(_env_file=None, DATA_DIR=tmp_path, ENVIRONMENT="production", **values)
    load_settings(_env_file=None, DATA_DIR=tmp_path, ENVIRONMENT="production", **GOOD)  # the safe set starts


def test_development_keeps_its_conveniences(tmp_path: Path):
    settings = load_settings(_env_file=None, DATA_DIR=tmp_path, WEBHOOK_ALLOW_PRIVATE_TARGETS=True)
    assert settings.api_docs and not settings.ui_cookie_secure


def test_docs_are_off_in_production_unless_asked_for(tmp_path: Path):
    production = load_settings(_env_file=None, DATA_DIR=tmp_path, ENVIRONMENT="production", **GOOD)
    assert not production.api_docs
    assert load_settings(_env_file=None, DATA_DIR=tmp_path, ENVIRONMENT="production", API_DOCS=True, **GOOD).api_docs
