"""Helpers for provider contract tests: documented response shapes, a recording mock transport, settings."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image

from services.core.settings import Settings
from services.providers.base import Brief, FrameRequest, RefinementRequest, VideoRequest
from services.providers.offline_animatic import OfflineAnimaticRenderer
from services.providers.offline_storyboard import OfflineStoryboardRenderer
from services.providers.wiring import Transports

PUBLIC_ADDRESS = "104.18.0.1"  # what the fake resolver says every allowed host resolves to
SDXL_VERSION = "7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc"


class Recorder:
    """A MockTransport handler that answers from a script of responses and records every request."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if r.content]


def provider_settings(tmp_path: Path, **changes: object) -> Settings:
    """Settings with both global keys, fast polling and no real waits."""
    fields: dict = {
        "_env_file": None,
        "DATA_DIR": tmp_path / "data",
        "POE_API_KEY": "poe-test-key-123",
        "REPLICATE_API_KEY": "r8_test_key_456",
        "PREDICTION_POLL_SECONDS": 0.01,
        "PROVIDER_BACKOFF_SECONDS": 0.01,
    }
    fields.update(changes)
    return Settings(**fields)


def transports(*, poe=None, replicate=None, media=None, sleeps: list[float] | None = None) -> Transports:
    waits = sleeps if sleeps is not None else []
    return Transports(
        poe=poe.transport if poe else None,
        replicate=replicate.transport if replicate else None,
        media=media.transport if media else None,
        resolver=lambda host: [PUBLIC_ADDRESS],
        sleep=waits.append,
    )


def chat_completion(content: str, *, prompt_tokens: int = 120, completion_tokens: int = 80) -> httpx.Response:
    """Poe's OpenAI-compatible chat completion, as documented."""
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-123",
            "object": "chat.completion",
            "created": 1732440000,
            "model": "GPT-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
    )


def poe_error(status: int, message: str, *, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(
        status, headers=headers or {}, json={"error": {"message": message, "type": "rate_limit_error", "code": status}}
    )


def prediction(
    status: str,
    *,
    output: object = None,
    error: str | None = None,
    pid: str = "gm3qorzdhgbfurvjtvhg6dckhu",
    model: str = "stability-ai/sdxl",
    version: str = SDXL_VERSION,
) -> httpx.Response:
    """A Replicate prediction object, as documented."""
    body = {
        "id": pid,
        "model": model,
        "version": version,
        "status": status,
        "input": {"prompt": "x"},
        "output": output,
        "error": error,
        "logs": "",
        "data_removed": False,
        "metrics": {"predict_time": 4.2} if status == "succeeded" else {},
        "urls": {
            "get": f"https://api.replicate.com/v1/predictions/{pid}",
            "cancel": f"https://api.replicate.com/v1/predictions/{pid}/cancel",
        },
        "created_at": "2026-11-24T10:00:00.000Z",
        "started_at": None,
        "completed_at": None,
    }
    return httpx.Response(201 if status == "starting" else 200, json=body)


def replicate_problem(status: int, detail: str, *, headers: dict | None = None) -> httpx.Response:
    """Replicate's RFC 7807 problem details."""
    return httpx.Response(
        status,
        headers={"content-type": "application/problem+json", **(headers or {})},
        json={"type": "https://replicate.com/docs/errors", "title": "Error", "status": status, "detail": detail},
    )


def png_bytes(width: int = 64, height: int = 36) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 100, 50)).save(buffer, format="PNG")
    return buffer.getvalue()


def mp4_bytes(tmp_path: Path, *, seconds: int = 1, fps: int = 24) -> bytes:
    frame = OfflineStoryboardRenderer().generate_frame(a_frame_request(width=128, height=72)).image
    path = tmp_path / f"clip-{seconds}.mp4"
    OfflineAnimaticRenderer().generate_video(
        a_video_request(duration=seconds, fps=fps, frames=(frame,), width=128, height=72), path
    )
    return path.read_bytes()


def a_refinement_request(**changes: object) -> RefinementRequest:
    brief = Brief(
        title="Sneaker launch",
        initial_prompt="A runner crosses the city at dawn",
        target_audience="Gen Z runners",
        tone="energetic",
        duration=8,
        style="cinematic",
        aspect_ratio="16:9",
    )
    fields: dict = {"brief": brief, "history": (), "additional_info": None, "model": "gpt-4o"}
    fields.update(changes)
    return RefinementRequest(**fields)


def a_frame_request(**changes: object) -> FrameRequest:
    fields: dict = {
        "workflow_id": "wf1",
        "frame_number": 1,
        "frame_count": 3,
        "scene": "Opening",
        "prompt": "a runner",
        "width": 1024,
        "height": 576,
        "seed": 42,
        "model": "stable-diffusion-xl",
    }
    fields.update(changes)
    return FrameRequest(**fields)


def a_video_request(*, frames: tuple[bytes, ...] = (), **changes: object) -> VideoRequest:
    fields: dict = {
        "workflow_id": "wf1",
        "prompt": "a runner",
        "frame_images": frames,
        "duration": 8,
        "fps": 24,
        "width": 1024,
        "height": 576,
        "model": "veo-3",
    }
    fields.update(changes)
    return VideoRequest(**fields)
