"""One settings object; a bad value stops start-up with a message naming the variable."""

from __future__ import annotations

import pytest

from services.core.errors import ConfigurationError
from services.core.settings import load_settings


def test_the_spec_defaults_apply_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    settings = load_settings()
    assert (settings.MAX_REFINEMENT_ITERATIONS, settings.MAX_FRAME_REGENERATIONS, settings.MAX_VIDEO_DURATION) == (10, 5, 60)
    assert (settings.DEFAULT_REFINEMENT_MODEL, settings.DEFAULT_FRAME_MODEL, settings.DEFAULT_VIDEO_MODEL) == (
        "gpt-4o",
        "stable-diffusion-xl",
        "veo-3",
    )
    assert settings.MONGODB_URI is None and settings.POE_API_KEY is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MAX_VIDEO_DURATION", "-5"),
        ("MAX_REFINEMENT_ITERATIONS", "ten"),
        ("MONGODB_URI", "postgres://db"),
        ("MAX_VIDEO_FPS", "5"),
        ("EMBEDDED_DB_CACHE_SIZE", "lots"),
    ],
)
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path, variable: str, value: str):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=f"Invalid configuration: {variable}: "):
        load_settings()


def test_secrets_never_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POE_API_KEY", "poe-secret-value")
    monkeypatch.setenv("MONGODB_URI", "mongodb://user:hunter2@db.internal:27017")
    settings = load_settings()
    assert "poe-secret-value" not in repr(settings) and "hunter2" not in repr(settings)
    assert settings.POE_API_KEY.get_secret_value() == "poe-secret-value"
