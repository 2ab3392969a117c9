"""Smoke test against the real providers: one call per provider and role, each estimate printed first.

`--list` prints the plan and spends nothing. Without keys it skips cleanly (exit 0); a part whose key is
missing, or whose model the availability check finds gone, is skipped with the reason. Outputs go to
$DATA_DIR/smoke/. It spends real money.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from services.core.settings import Settings, load_settings
from services.providers.base import Brief, FrameRequest, RefinementRequest, VideoRequest
from services.providers.registry import ModelRegistry
from services.providers.smoke_plan import SmokeCall, smoke_plan
from services.providers.status import ProviderStatus
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


def main(
    argv: Sequence[str] | None = None, *, settings: Settings | None = None, registry: ModelRegistry | None = None
) -> int:
    """Print the plan (--list) or run it; returns the exit status (1 when a call failed)."""
    args = argparse.ArgumentParser(prog="smoke", description=__doc__)
    args.add_argument("--list", action="store_true", help="print the planned calls and their estimates; spend nothing")
    options = args.parse_args(list(argv or ()))  # the command line comes from __main__
    settings = settings or load_settings()
    registry = registry or build_registry(settings)
    status = ProviderStatus(registry, settings)
    if options.list:
        for call in smoke_plan(registry, settings):
            print(_line(call))
        return 0
    if not status.has_keys():
        print("smoke: skipped (set POE_API_KEY and/or REPLICATE_API_KEY to run it; --list shows the plan)")
        return 0
    status.check_now()  # read-only: a model the provider no longer serves is skipped, not paid for
    failures = 0
    prompt = BRIEF.initial_prompt
    frame = None
    for call in smoke_plan(registry, settings):
        print(_line(call))
        if call.skip:
            continue
        try:
            prompt, frame = _run(registry, settings, call, prompt, frame)
        except Exception as exc:  # noqa: BLE001 - report every part, then fail the run
            failures += 1
            print(f"smoke: {call.role} with {call.model_id} FAILED: {getattr(exc, 'message', type(exc).__name__)}")
    return 1 if failures else 0


def _line(call: SmokeCall) -> str:
    state = f"{call.estimate}, skipped ({call.skip})" if call.skip else call.estimate
    return f"smoke: {call.role:<10} {call.provider:<9} {call.model_id:<22} {state}"


def _run(registry: ModelRegistry, settings: Settings, call: SmokeCall, prompt: str, frame: bytes | None):  # type: ignore[no-untyped-def]
    out = settings.DATA_DIR / "smoke"
    out.mkdir(parents=True, exist_ok=True)
    if call.role == "refinement":
        result = registry.refiner(call.model_id).implementation.refine(
            RefinementRequest(brief=BRIEF, history=(), additional_info=None, model=call.model_id)
        )
        print(f"smoke: refinement ok ({len(result.refined_prompt)} chars, usage {result.usage})")
        return result.refined_prompt, frame
    if call.role == "frames":
        image = (
            registry.frame_generator(call.model_id)
            .implementation.generate_frame(FrameRequest("smoke", 1, 1, "Key moment", prompt, 1024, 576, 7, call.model_id))
            .image
        )
        (out / f"frame-{call.model_id}.png").write_bytes(image)
        print(f"smoke: frame ok -> {out / f'frame-{call.model_id}.png'} ({len(image)} bytes)")
        return prompt, frame or image
    request = VideoRequest(
        "smoke", prompt, (frame,) if frame else (), call.seconds, 24, 1024, 576, call.model_id, sound=False
    )
    video = registry.video_generator(call.model_id).implementation.generate_video(
        request, out / f"video-{call.model_id}.mp4"
    )
    print(f"smoke: video ok -> {video.path} ({video.frame_count} frames)")
    return prompt, frame


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
