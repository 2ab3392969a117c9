"""Every registry entry resolves, and every combination it cannot make is planned or refused with a reason."""

from __future__ import annotations

import pytest

from services.core.errors import ConfigurationError, UnknownModelError
from services.core.settings import ASPECT_RATIOS
from services.providers.catalog import (
    DEFAULT_CATALOG_PATH,
    UnsupportedRequestError,
    check_frame,
    load_catalog,
    plan_video,
)
from services.providers.registry import OFFLINE_MODEL_IDS, SPEC_MODEL_IDS, ModelRole
from services.providers.wiring import build_registry
from tests.support.providers import provider_settings

CATALOG = load_catalog()
RESOLVE = {ModelRole.REFINEMENT: "refiner", ModelRole.FRAMES: "frame_generator", ModelRole.VIDEO: "video_generator"}


@pytest.mark.parametrize("with_keys", [True, False], ids=["keys", "no-keys"])
def test_every_spec_and_offline_model_id_resolves_to_the_configured_provider(tmp_path, with_keys):
    keys = {} if with_keys else {"POE_API_KEY": None, "REPLICATE_API_KEY": None}
    registry = build_registry(provider_settings(tmp_path, **keys))
    for role in ModelRole:
        # The spec's ids are a floor: the configuration adds current models beside them.
        assert set(registry.model_ids(role)) >= {*SPEC_MODEL_IDS[role], OFFLINE_MODEL_IDS[role]}
        assert set(registry.model_ids(role)) == {s.model_id for s in CATALOG.values() if s.role == role.value}
        for model_id in registry.model_ids(role):
            resolved = getattr(registry, RESOLVE[role])(model_id)
            runs = CATALOG[model_id].lifecycle.successor or model_id  # a retired id is served by its successor
            expected = CATALOG[runs].provider if with_keys else "offline"
            assert (resolved.model_id, resolved.provider_name) == (runs, expected)
            assert resolved.requested_id == (model_id if runs != model_id else None)


def test_an_unknown_model_id_is_refused_with_the_list_of_valid_ones(tmp_path):
    registry = build_registry(provider_settings(tmp_path))
    with pytest.raises(
        UnknownModelError, match="Valid models: stable-diffusion-xl, dalle-3, flux-1.1-pro, offline-storyboard"
    ):
        registry.frame_generator("midjourney")


@pytest.mark.parametrize("spec", [s for s in CATALOG.values() if s.role == "video"], ids=lambda s: s.model_id)
def test_every_video_request_is_either_planned_exactly_or_refused_with_a_reason(spec):
    planned = refused = 0
    for aspect in ASPECT_RATIOS:
        for seconds in range(1, 91):
            for fps in (12, 24, 30, 60):
                try:
                    plan = plan_video(spec, seconds=seconds, fps=fps, aspect_ratio=aspect)
                except UnsupportedRequestError as refusal:
                    refused += 1
                    assert spec.model_id in refusal.message and len(refusal.message) > 40
                    assert spec.clip_seconds is not None and seconds > spec.max_clips * max(spec.clip_seconds)
                    continue
                planned += 1
                assert (plan.seconds, plan.fps, plan.aspect_ratio) == (seconds, fps, aspect), "delivered as asked"
                assert len(plan.clips) <= spec.max_clips
                assert spec.clip_seconds is None or set(plan.clips) <= set(spec.clip_seconds)
                assert seconds <= plan.rendered_seconds < seconds + (max(spec.clip_seconds or (1,)))
                assert spec.aspect_ratios is None or plan.model_aspect_ratio in spec.aspect_ratios
                assert spec.fps is None or plan.model_fps in spec.fps
    assert planned > 0
    unlimited = spec.clip_seconds is None and spec.aspect_ratios is None and spec.fps is None  # the bot decides
    assert refused > 0 or spec.is_offline or unlimited or max(spec.clip_seconds or (0,)) * spec.max_clips >= 90


def test_veo_plans_every_ratio_rate_and_length_it_can_deliver_and_refuses_only_the_over_long():
    veo = CATALOG["veo-3"]
    square = plan_video(veo, seconds=8, fps=24, aspect_ratio="1:1")
    assert (square.model_aspect_ratio, square.aspect_ratio, square.reframed) == ("16:9", "1:1", True)
    assert plan_video(veo, seconds=8, fps=24, aspect_ratio="4:5").model_aspect_ratio == "9:16"
    assert plan_video(veo, seconds=8, fps=24, aspect_ratio="21:9").model_aspect_ratio == "16:9"
    five = plan_video(veo, seconds=5, fps=24, aspect_ratio="16:9")
    assert (five.clips, five.seconds, five.needs_finishing) == ((6,), 5, True), "one clip longer, trimmed"
    thirty = plan_video(veo, seconds=30, fps=30, aspect_ratio="16:9")
    assert (thirty.clips, thirty.model_fps, thirty.fps) == ((8, 8, 8, 6), 24, 30), "rendered at 24, delivered at 30"
    with pytest.raises(UnsupportedRequestError, match="longest video is 64 s; 90 s was asked for"):
        plan_video(veo, seconds=90, fps=24, aspect_ratio="16:9")


def test_frame_models_are_refused_only_for_sizes_they_cannot_draw():
    from services.workflows.frame_planning import frame_size

    for spec in (s for s in CATALOG.values() if s.role == "frames"):
        for aspect in ASPECT_RATIOS:
            width, height = frame_size(aspect)
            check_frame(spec, width=width, height=height, aspect_ratio=aspect)  # a ratio it lacks is reframed
        if spec.max_side is not None:
            with pytest.raises(UnsupportedRequestError, match=f"{spec.model_id} draws at most"):
                check_frame(spec, width=spec.max_side + 64, height=64, aspect_ratio="16:9")


def test_a_model_configuration_file_overrides_the_default_and_mistakes_name_the_entry(tmp_path):
    good = tmp_path / "models.toml"
    good.write_text('[models."gpt-4o"]\nrole = "refinement"\nprovider = "poe"\nreference = "GPT-4o-Latest"\n')
    registry = build_registry(provider_settings(tmp_path, MODEL_CONFIG_PATH=good))
    assert registry.model_ids(ModelRole.REFINEMENT) == ["gpt-4o"]
    assert registry.refiner("gpt-4o").implementation.bot == "GPT-4o-Latest"
    bad = tmp_path / "bad.toml"
    bad.write_text('[models."veo-3"]\nrole = "video"\nprovider = "replicate"\nreference = "google/veo-3"\n')
    with pytest.raises(ConfigurationError, match="model 'veo-3': inputs must be"):
        build_registry(provider_settings(tmp_path, MODEL_CONFIG_PATH=bad))


def test_an_edited_model_configuration_is_read_again_and_an_unchanged_one_is_not(tmp_path):
    edited = tmp_path / "models.toml"
    edited.write_text(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    first = load_catalog(edited)
    assert load_catalog(edited)["gpt-4o"] is first["gpt-4o"], "the unchanged file was parsed again"

    text = edited.read_text(encoding="utf-8").replace('reference = "GPT-4o"', 'reference = "GPT-4o-Edited"', 1)
    edited.write_text(text, encoding="utf-8")
    assert load_catalog(edited)["gpt-4o"].reference == "GPT-4o-Edited"
