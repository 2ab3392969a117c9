"""`make smoke` skips cleanly without keys and picks the cheapest real video from the configuration."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.support.providers import provider_settings

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "smoke.py"


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


def test_smoke_list_plans_one_call_per_provider_and_role_with_estimates_and_spends_nothing(tmp_path, capsys):
    settings = provider_settings(tmp_path, REPLICATE_API_KEY=None)
    assert load_smoke().main(["--list"], settings=settings) == 0  # the network guard fails any real call
    lines = capsys.readouterr().out.splitlines()
    plan = {tuple(line.split()[1:4]) for line in lines}
    assert ("refinement", "poe", "gpt-4o") in plan
    assert ("frames", "replicate", "stable-diffusion-xl") in plan and ("frames", "replicate", "flux-1.1-pro") in plan
    assert ("video", "replicate", "veo-3-fast") in plan, "the cheapest Replicate video"
    assert ("video", "poe", "Video-Generator-PRO") in plan or ("video", "poe", "veo-3-poe") in plan
    assert not any("dalle-3" in line or "claude-3-opus" in line for line in lines), "retired ids are not smoked"
    replicate_lines = [line for line in lines if " replicate " in line]
    assert all("skipped (REPLICATE_API_KEY is not set)" in line for line in replicate_lines)
    assert any("about $0.40 (4 s, silent)" in line for line in lines), "veo-3-fast: 4 s x $0.10/s"
