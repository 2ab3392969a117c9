"""Replicate frame and video generators through the official client: create, wait, capture the output."""

from __future__ import annotations

import base64
import functools
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import httpx
import replicate
from replicate.exceptions import ReplicateError
from replicate.prediction import Prediction

from services.core.errors import JobCanceledError, ProviderError
from services.jobs.context import cancel_requested, resumable_prediction
from services.providers.base import FrameRequest, FrameResult, VideoRequest, VideoResult
from services.providers.catalog import ModelSpec, plan_video
from services.providers.media_capture import MediaFetcher
from services.providers.retrying import (
    RetryPolicy,
    call_with_retries,
    retry_after_seconds,
)

log = logging.getLogger(__name__)
PROVIDER = "replicate"
MAX_DETAIL = 300
NEGATIVE_PROMPT = "text, watermark, logo, blurry, deformed, extra limbs, low quality"
ClientFactory = Callable[[str | None], replicate.Client]  # user id -> a client carrying the right key


class NotSentError(ProviderError):
    """The connection never opened, so the request surely created nothing and may be sent again."""


def map_replicate_error(error: Exception, *, during: str) -> ProviderError:
    """The one place Replicate client failures become typed, user-safe errors."""
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, ReplicateError):
        status = error.status or 0
        detail = _clean(error.detail or error.title or "")
        suffix = f": {detail}" if detail else ""
        if status in (401, 403):
            return ProviderError(
                "Replicate refused the API key. Check the Replicate key in your settings.",
                provider=PROVIDER,
                status=status,
                retryable=False,
            )
        if status == 429:
            return ProviderError(f"Replicate's rate limit was reached while {during}.", provider=PROVIDER, status=429)
        if status >= 500:
            return ProviderError(
                f"Replicate had a server error ({status}) while {during}.", provider=PROVIDER, status=status
            )
        return ProviderError(
            f"Replicate refused the request ({status}) while {during}{suffix}.",
            provider=PROVIDER,
            status=status,
            retryable=False,
        )
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return NotSentError(f"Replicate could not be reached while {during}.", provider=PROVIDER)
    if isinstance(error, httpx.TimeoutException):
        return ProviderError(f"Replicate did not answer in time while {during}.", provider=PROVIDER)
    if isinstance(error, httpx.TransportError):
        return ProviderError(f"Replicate could not be reached while {during}.", provider=PROVIDER)
    if isinstance(error, ValueError):  # malformed JSON, or JSON that is not a prediction
        return ProviderError(f"Replicate sent a malformed answer while {during}.", provider=PROVIDER)
    raise error


def raise_for_rate_limit(response: httpx.Response) -> None:
    """httpx response hook: a 429 becomes our error with its Retry-After (ReplicateError drops headers)."""
    if response.status_code == 429:
        raise ProviderError(
            "Replicate's rate limit was reached.",
            provider=PROVIDER,
            status=429,
            retry_after=retry_after_seconds(response.headers),
        )


def build_client(
    api_token: str, *, base_url: str, timeout: httpx.Timeout, transport: httpx.BaseTransport | None = None
) -> replicate.Client:
    """A Replicate client with an explicit token, base URL, timeout and (injectable) transport."""
    return replicate.Client(
        api_token=api_token,
        base_url=base_url,
        timeout=timeout,
        transport=transport or httpx.HTTPTransport(),
        event_hooks={"response": [raise_for_rate_limit]},
    )


def _clean(text: str) -> str:
    return " ".join(str(text).split())[:MAX_DETAIL]


def _safe_to_resend(error: ProviderError) -> bool:
    """A create may be repeated only when it surely created nothing: rate-limited, or never sent."""
    return error.status == 429 or isinstance(error, NotSentError)


class PredictionRunner:
    """Creates one prediction (webhook when configured), polls it to the end, and checks the outcome."""

    def __init__(
        self,
        clients: ClientFactory,
        *,
        policy: RetryPolicy,
        poll_seconds: float,
        deadline_seconds: float,
        webhook_url: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.policy = policy
        self.poll_seconds = poll_seconds
        self.deadline_seconds = deadline_seconds
        self.webhook_url = webhook_url
        self.clock = clock

    def run(self, spec: ModelSpec, model_input: dict[str, Any], user_id: str | None, *, sub: str = "") -> Prediction:
        """The finished, succeeded prediction; failed or canceled ones raise with the model's error text.

        Inside a durable job the prediction is created at most once per job part (`sub` names a
        piece of the part, such as one clip): a resumed job polls the prediction it already has.
        """
        client = self.clients(user_id)
        created: dict[str, Prediction] = {}

        def create(intent: str) -> str:
            prediction = call_with_retries(
                lambda: self._create(client, spec, model_input), self.policy, should_retry=_safe_to_resend
            )
            created[prediction.id] = prediction
            return prediction.id

        prediction_id = resumable_prediction(create=create, find=lambda: self._find(client, spec, model_input), sub=sub)
        prediction = created.get(prediction_id) or call_with_retries(
            functools.partial(self._get, client, prediction_id), self.policy
        )
        deadline = self.clock() + self.deadline_seconds
        while prediction.status not in ("succeeded", "failed", "canceled"):
            if cancel_requested():
                self._cancel(client, prediction.id)
                raise JobCanceledError(f"{spec.model_id} prediction {prediction.id} was canceled.")
            if self.clock() > deadline:
                self._cancel(client, prediction.id)
                raise ProviderError(
                    f"{spec.model_id} did not finish within {self.deadline_seconds:.0f} s (prediction {prediction.id}).",
                    provider=PROVIDER,
                )
            self.policy.sleep(self.poll_seconds)
            prediction = call_with_retries(functools.partial(self._get, client, prediction.id), self.policy)
        if prediction.status == "failed":
            raise ProviderError(
                f"{spec.model_id} failed: {_clean(prediction.error or 'no reason given')}",
                provider=PROVIDER,
                retryable=False,
            )
        if prediction.status == "canceled":
            raise ProviderError(f"{spec.model_id} was canceled before it finished.", provider=PROVIDER, retryable=False)
        return prediction

    def _create(self, client: replicate.Client, spec: ModelSpec, model_input: dict[str, Any]) -> Prediction:
        options: dict[str, Any] = {"input": model_input}
        if self.webhook_url:
            options.update(webhook=self.webhook_url, webhook_events_filter=["start", "completed"])
        target = {"version": spec.version} if spec.version else {"model": spec.reference}
        try:
            return client.predictions.create(**target, **options)  # type: ignore[call-overload]
        except Exception as error:  # noqa: BLE001 - mapped (or re-raised) by the one mapping function
            raise map_replicate_error(error, during=f"starting {spec.model_id}") from None

    def _find(self, client: replicate.Client, spec: ModelSpec, model_input: dict[str, Any]) -> str | None:
        """A recent prediction of this model with exactly this input: one a dead worker already paid for."""
        try:
            page = client.predictions.list()
        except Exception as error:  # noqa: BLE001
            raise map_replicate_error(error, during="looking for an earlier prediction") from None
        for prediction in page.results:
            same_model = prediction.version == spec.version if spec.version else prediction.model == spec.reference
            if same_model and prediction.input == model_input and prediction.status != "canceled":
                return prediction.id
        return None

    def _cancel(self, client: replicate.Client, prediction_id: str) -> None:
        """Stop paying for a prediction we gave up on; best effort, the step fails either way."""
        try:
            client.predictions.cancel(prediction_id)
        except Exception:  # noqa: BLE001
            log.warning("could not cancel Replicate prediction %s", prediction_id)

    def _get(self, client: replicate.Client, prediction_id: str) -> Prediction:
        try:
            return client.predictions.get(prediction_id)
        except Exception as error:  # noqa: BLE001
            raise map_replicate_error(error, during="checking the prediction") from None


def output_urls(prediction: Prediction) -> list[str]:
    """The prediction's output URLs (a string or a list of strings)."""
    output = prediction.output
    urls = [output] if isinstance(output, str) else list(output or [])
    if not urls or not all(isinstance(url, str) for url in urls):
        raise ProviderError(f"Replicate prediction {prediction.id} succeeded without an output URL.", provider=PROVIDER)
    return urls


def aspect_ratio_of(width: int, height: int) -> str:
    """'16:9' for 1024x576."""
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


def _data_uri(image: bytes) -> str:
    kind = "image/jpeg" if image[:3] == b"\xff\xd8\xff" else "image/png"
    return f"data:{kind};base64,{base64.b64encode(image).decode()}"


class ReplicateFrameGenerator:
    """Storyboard frames from SDXL (seed and size) or DALL-E 3 (aspect ratio)."""

    def __init__(self, spec: ModelSpec, runner: PredictionRunner, fetcher: MediaFetcher) -> None:
        self.spec = spec
        self.runner = runner
        self.fetcher = fetcher

    def frame_input(self, request: FrameRequest) -> dict[str, Any]:
        """The model input for one frame; the workflow's seed keeps frames consistent."""
        if self.spec.inputs == "dalle":
            return {"prompt": request.prompt, "aspect_ratio": aspect_ratio_of(request.width, request.height)}
        if self.spec.inputs == "flux":  # an aspect ratio and a seed; PNG so nothing is lost before we store it
            return {
                "prompt": request.prompt,
                "aspect_ratio": aspect_ratio_of(request.width, request.height),
                "seed": request.seed,
                "output_format": "png",
            }
        return {
            "prompt": request.prompt,
            "negative_prompt": NEGATIVE_PROMPT,
            "width": request.width,
            "height": request.height,
            "num_outputs": 1,
            "seed": request.seed,
        }

    def generate_frame(self, request: FrameRequest) -> FrameResult:
        """Run the prediction and capture its first image right away."""
        prediction = self.runner.run(self.spec, self.frame_input(request), request.user_id)
        return FrameResult(image=self.fetcher.fetch_image(output_urls(prediction)[0]), provider=PROVIDER)


class ReplicateVideoGenerator:
    """Veo video: one clip, or several planned clips joined, each opening on an approved frame."""

    def __init__(self, spec: ModelSpec, runner: PredictionRunner, fetcher: MediaFetcher) -> None:
        self.spec = spec
        self.runner = runner
        self.fetcher = fetcher

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        """Plan the clips (refusing what the model can't do), render and capture each, then join them."""
        ratio = aspect_ratio_of(request.width, request.height)
        plan = plan_video(self.spec, seconds=request.duration, fps=request.fps, aspect_ratio=ratio)
        clip_paths = []
        for index, seconds in enumerate(plan.clips):
            model_input: dict[str, Any] = {
                "prompt": _clip_prompt(request.prompt, index, len(plan.clips)),
                "duration": seconds,
                "aspect_ratio": ratio,
                "resolution": "720p",
            }
            if self.spec.sound:  # sent explicitly: Veo's default (true) bills the dearer per-second price
                model_input["generate_audio"] = request.sound
            if request.seed is not None:
                model_input["seed"] = request.seed
            if self.spec.first_frame and request.frame_images:
                opening = request.frame_images[index * len(request.frame_images) // len(plan.clips)]
                model_input["image"] = _data_uri(opening)
            prediction = self.runner.run(self.spec, model_input, request.user_id, sub=f"clip-{index}")
            path = output_path.with_name(f"{output_path.stem}-clip{index}.mp4")
            self.fetcher.fetch_video(output_urls(prediction)[0], path)
            clip_paths.append(path)
        frames = join_clips(clip_paths, output_path)
        return VideoResult(path=output_path, frame_count=frames, provider=PROVIDER)


def _clip_prompt(prompt: str, index: int, count: int) -> str:
    if count == 1:
        return prompt
    return f"{prompt}\n\nThis is part {index + 1} of {count} of one continuous video; continue seamlessly."


def join_clips(clips: list[Path], output_path: Path) -> int:
    """Concatenate clips into output_path (one clip is kept as is, audio included); returns the frame count."""
    if len(clips) == 1:
        clips[0].replace(output_path)
        with av.open(str(output_path)) as container:
            return sum(1 for _ in container.decode(video=0))
    frames = 0
    with av.open(str(output_path), "w", format="mp4") as out:
        stream = None
        for clip in clips:
            with av.open(str(clip)) as source:
                rate = source.streams.video[0].average_rate or 24
                for frame in source.decode(video=0):
                    if stream is None:
                        stream = out.add_stream("libx264", rate=rate)
                        stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, "yuv420p"
                    picture = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
                    picture.pts = frames
                    out.mux(stream.encode(picture))
                    frames += 1
            clip.unlink(missing_ok=True)
        if stream is not None:
            out.mux(stream.encode(None))
    return frames
