"""`make smoke` skips cleanly without keys and picks the cheapest real video from the configuration."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from services.providers.catalog import load_catalog

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "smoke.py"


def load_smoke():
    spec = importlib.util.spec_from_file_location("smoke", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_smoke_test_is_skipped_cleanly_when_no_keys_are_set(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("POE_API_KEY", raising=False)
    monkeypatch.delenv("REPLICATE_API_KEY", raising=False)
    assert load_smoke().main() == 0
    assert "smoke: skipped" in capsys.readouterr().out


def test_the_smoke_video_is_the_cheapest_real_model_and_clip_length():
    assert load_smoke().cheapest_video(load_catalog()) == ("Video-Generator-PRO", 4)
