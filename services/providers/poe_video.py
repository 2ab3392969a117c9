"""Poe video bots (Video-Generator-PRO, Veo-3) through chat completions: the reply carries the video's URL.

The call is synchronous (`stream: false`): Poe answers when the video exists. Its URL (a markdown link,
a bare URL, or an attachment) is downloaded at once through the safe media fetcher, like Replicate's.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path
from typing import Any

import httpx

from services.core.errors import ProviderError
from services.core.job_scope import report_progress
from services.providers.base import VideoRequest, VideoResult
from services.providers.catalog import ModelSpec, plan_video, ratio_size
from services.providers.clip_video import ClipOrder, Report, render_planned
from services.providers.media_capture import MediaFetcher
from services.providers.poe import PROVIDER, error_for
from services.providers.retrying import KeySource, RetryPolicy, call_with_retries

URL = re.compile(r"https://[^\s)\]\"'<>]+")
CLIP_LONG_SIDE = 1280  # the opening frame is sent at the bot's ratio, 720p-sized
VIDEO_HINT = re.compile(r"\.(mp4|mov|webm)(\?|$)|/video/", re.IGNORECASE)


class PoeVideoGenerator:
    """One video bot; each planned clip is one chat completion whose reply links the clip."""

    def __init__(
        self, http: httpx.Client, *, spec: ModelSpec, api_key: KeySource, policy: RetryPolicy, fetcher: MediaFetcher
    ) -> None:
        self.http, self.spec, self.api_key, self.policy, self.fetcher = http, spec, api_key, policy, fetcher

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        """Plan the clips (refusing only what can't be delivered), ask the bot for each, capture and finish them."""
        plan = plan_video(self.spec, seconds=request.duration, fps=request.fps, aspect_ratio=request.ratio)
        key = self.api_key(request.user_id)

        def render_clip(order: ClipOrder, report: Report) -> Path:
            opening = order.opening if self.spec.first_frame else None
            body = {
                "model": self.spec.reference,
                "messages": [clip_message(request, order.seconds, order.aspect_ratio, opening, prompt=order.prompt)],
                "stream": False,
            }
            report(0.0, f"{self.spec.model_id} is rendering {order.label}", None)
            # A bot reply is paid: resend only what surely created nothing (a 429).
            data = call_with_retries(functools.partial(self._once, body, key), self.policy, should_retry=_rate_limited)
            self.fetcher.fetch_video(video_url(data), order.path)
            return order.path

        frames = render_planned(
            plan,
            request,
            output_path,
            clip_size=lambda ratio: ratio_size(ratio, CLIP_LONG_SIDE),
            render_clip=render_clip,
            report=lambda fraction, message, eta: report_progress(round(fraction * 10_000), 10_000, message),
        )
        return VideoResult(path=output_path, frame_count=frames, provider=PROVIDER)

    def _once(self, body: dict, key: str) -> dict[str, Any]:
        try:
            response = self.http.post("/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"})
        except httpx.TimeoutException:
            raise ProviderError(f"Poe's {self.spec.reference} did not answer in time.", provider=PROVIDER) from None
        except httpx.TransportError:
            raise ProviderError("Poe could not be reached.", provider=PROVIDER) from None
        if response.status_code != 200:
            raise error_for(response)
        try:
            return response.json()
        except ValueError:
            raise ProviderError("Poe sent a malformed answer.", provider=PROVIDER, status=200) from None


def _rate_limited(error: ProviderError) -> bool:
    return error.status == 429


def clip_message(
    request: VideoRequest, seconds: int, ratio: str, opening: bytes | None, *, prompt: str | None = None
) -> dict[str, Any]:
    """The user turn: the prompt with length and shape, and the opening frame as an image part."""
    text = f"{prompt or request.prompt}\n\nDuration: {seconds} seconds. Aspect ratio: {ratio}."
    if opening is None:
        return {"role": "user", "content": text}
    kind = "image/jpeg" if opening[:3] == b"\xff\xd8\xff" else "image/png"
    image = f"data:{kind};base64,{base64.b64encode(opening).decode()}"
    return {
        "role": "user",
        "content": [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": image}}],
    }


def video_url(data: dict[str, Any]) -> str:
    """The video's URL in a bot reply: an attachment, else a link in the text (video-looking links first)."""
    try:
        message = data["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise ProviderError("Poe sent a malformed answer.", provider=PROVIDER, status=200) from None
    attachments = [a.get("url") for a in message.get("attachments") or [] if isinstance(a, dict)]
    content = message.get("content")
    text = (
        content
        if isinstance(content, str)
        else " ".join(part.get("text", "") for part in content or [] if isinstance(part, dict))
    )
    urls = [u for u in attachments if isinstance(u, str)] + URL.findall(text)
    if not urls:
        said = " ".join(text.split())[:200]
        raise ProviderError(
            f"Poe's video bot answered without a video{': ' + said if said else ''}.", provider=PROVIDER, retryable=False
        )
    return next((u for u in urls if VIDEO_HINT.search(u)), urls[0])
