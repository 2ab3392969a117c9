"""Smoke test against the real providers: one refinement, one frame, the cheapest video.

Skips cleanly (exit 0) when no keys are set; each part runs only when its provider's key is set.
Outputs go to $DATA_DIR/smoke/. It spends real money: the estimate is printed before each call.
"""

from __future__ import annotations

from services.core.settings import load_settings
from services.providers.base import Brief, FrameRequest, RefinementRequest, VideoRequest
from services.providers.catalog import load_catalog
from services.providers.wiring import build_registry

BRIEF = Brief(
    title="Smoke test",
    initial_prompt="A paper boat drifts down a rain-soaked street at dusk",
    target_audience="everyone",
    tone="calm",
    duration=4,
    style="cinematic",
    aspect_ratio="16:9",
)


def main() -> int:
    """Run what the configured keys allow; returns the exit status."""
    settings = load_settings()
    if settings.POE_API_KEY is None and settings.REPLICATE_API_KEY is None:
        print("smoke: skipped (set POE_API_KEY and/or REPLICATE_API_KEY to run it)")
        return 0
    out = settings.DATA_DIR / "smoke"
    out.mkdir(parents=True, exist_ok=True)
    registry, catalog = build_registry(settings), load_catalog(settings.MODEL_CONFIG_PATH)
    prompt = BRIEF.initial_prompt
    if settings.POE_API_KEY is not None:
        model = settings.DEFAULT_REFINEMENT_MODEL
        result = registry.refiner(model).implementation.refine(
            RefinementRequest(brief=BRIEF, history=(), additional_info=None, model=model)
        )
        prompt = result.refined_prompt
        print(f"smoke: refinement with {model} ok ({len(prompt)} chars, usage {result.usage})")
    else:
        print("smoke: refinement skipped (no POE_API_KEY)")
    if settings.REPLICATE_API_KEY is None:
        print("smoke: frame and video skipped (no REPLICATE_API_KEY)")
        return 0
    frame_model = settings.DEFAULT_FRAME_MODEL
    print(f"smoke: frame with {frame_model}, about ${catalog[frame_model].price.per_image:.4f}")
    frame = registry.frame_generator(frame_model).implementation.generate_frame(
        FrameRequest(
            workflow_id="smoke",
            frame_number=1,
            frame_count=1,
            scene="Key moment",
            prompt=prompt,
            width=1024,
            height=576,
            seed=7,
            model=frame_model,
        )
    )
    (out / "frame.png").write_bytes(frame.image)
    print(f"smoke: frame ok -> {out / 'frame.png'} ({len(frame.image)} bytes)")
    video_model, seconds = cheapest_video(catalog)
    print(f"smoke: video with {video_model}, {seconds} s, about ${catalog[video_model].price.per_second * seconds:.2f}")
    video = registry.video_generator(video_model).implementation.generate_video(
        VideoRequest(
            workflow_id="smoke",
            prompt=prompt,
            frame_images=(frame.image,),
            duration=seconds,
            fps=24,
            width=1024,
            height=576,
            model=video_model,
        ),
        out / "video.mp4",
    )
    print(f"smoke: video ok -> {video.path} ({video.frame_count} frames)")
    return 0


def cheapest_video(catalog: dict) -> tuple[str, int]:
    """The real video model and clip length that cost least, from the model configuration."""
    options = [
        (spec.price.per_second * min(spec.clip_seconds or (4,)), spec.model_id, min(spec.clip_seconds or (4,)))
        for spec in catalog.values()
        if spec.role == "video" and not spec.is_offline
    ]
    _, model_id, seconds = min(options)
    return model_id, seconds


if __name__ == "__main__":
    raise SystemExit(main())
