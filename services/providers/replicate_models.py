"""Replicate frame and video generators through the official client: create, wait, capture the output."""

from __future__ import annotations

import base64
import functools
import io
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import replicate
from PIL import Image
from replicate.exceptions import ReplicateError
from replicate.prediction import Prediction

from services.core.errors import JobCanceledError, ProviderError
from services.jobs.context import (
    cancel_requested,
    expected_seconds,
    record_timing,
    report_progress,
    resumable_prediction,
)
from services.providers.base import FrameRequest, FrameResult, VideoRequest, VideoResult
from services.providers.catalog import ModelSpec, native_aspect_ratio, plan_video, ratio_size
from services.providers.clip_video import ClipOrder, Report, render_planned
from services.providers.media_capture import MediaFetcher
from services.providers.prediction_progress import elapsed_fraction, logged_fraction
from services.providers.retrying import (
    RetryPolicy,
    call_with_retries,
    retry_after_seconds,
)
from services.providers.video_finishing import CROP, reframe_image

log = logging.getLogger(__name__)
PROVIDER = "replicate"
VEO_720P_LONG_SIDE = 1280  # clips are asked for at 720p: 1280x720 or 720x1280
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

    def run(
        self,
        spec: ModelSpec,
        model_input: dict[str, Any],
        user_id: str | None,
        *,
        sub: str = "",
        label: str | None = None,
        output_seconds: float = 1.0,
        report: Report | None = None,
        eta_after: float = 0.0,
    ) -> Prediction:
        """The finished, succeeded prediction; failed or canceled ones raise with the model's error text.

        While it runs, progress is reported (to `report`, else to the current job part): the step percentages a
        model logs (SDXL), or, for a model that reports nothing (Veo), elapsed time over the expected time (the
        median of its last 20 runs of similar length, else the registry's `expected_seconds`), capped at 95%.

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
        started = self.clock()
        deadline = started + self.deadline_seconds
        expected = expected_seconds(spec.model_id, output_seconds, spec.expected_seconds or DEFAULT_EXPECTED_SECONDS)
        tell = report or _job_part_report
        while prediction.status not in ("succeeded", "failed", "canceled"):
            _report_running(
                tell, prediction, label or f"{spec.model_id} is working", self.clock() - started, expected, eta_after
            )
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
        record_timing(spec.model_id, output_seconds, self.clock() - started)
        tell(1.0, f"{label or spec.model_id}: done", eta_after)
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


DEFAULT_EXPECTED_SECONDS = 60.0  # a model with neither history nor an expected_seconds entry


def _job_part_report(fraction: float, message: str, eta: float | None) -> None:
    report_progress(round(fraction * 1000), 1000, message, eta_seconds=eta)


def _report_running(
    report: Report, prediction: Prediction, label: str, elapsed: float, expected: float, after: float
) -> None:
    """The model's own percentage when it logs one; else elapsed over expected, capped, with the time left."""
    logged = logged_fraction(prediction.logs)
    if logged is not None:
        report(logged, f"{label}: {round(100 * logged)}%", None)
        return
    report(elapsed_fraction(elapsed, expected), label, max(0.0, expected - elapsed) + after)


def output_urls(prediction: Prediction) -> list[str]:
    """The prediction's output URLs (a string or a list of strings)."""
    output = prediction.output
    urls = [output] if isinstance(output, str) else list(output or [])
    if not urls or not all(isinstance(url, str) for url in urls):
        raise ProviderError(f"Replicate prediction {prediction.id} succeeded without an output URL.", provider=PROVIDER)
    return urls


def image_size(image: bytes) -> tuple[int, int]:
    """(width, height) of an image."""
    with Image.open(io.BytesIO(image)) as picture:
        return picture.size


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
        # A ratio the model lacks is drawn at its nearest native one and cropped to the brief's (generate_frame).
        ratio = native_aspect_ratio(self.spec, aspect_ratio_of(request.width, request.height))
        if self.spec.inputs == "dalle":
            return {"prompt": request.prompt, "aspect_ratio": ratio}
        if self.spec.inputs == "flux":  # an aspect ratio and a seed; PNG so nothing is lost before we store it
            return {
                "prompt": request.prompt,
                "aspect_ratio": ratio,
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
        """Run the prediction and capture its first image right away, at exactly the size (and ratio) asked."""
        label = f"Frame {request.frame_number + 1} of {request.frame_count} · {request.scene}"
        prediction = self.runner.run(self.spec, self.frame_input(request), request.user_id, label=label)
        image = self.fetcher.fetch_image(output_urls(prediction)[0])
        if image_size(image) != (request.width, request.height):
            image = reframe_image(image, request.width, request.height, CROP)
        return FrameResult(image=image, provider=PROVIDER)


class ReplicateVideoGenerator:
    """Veo video: the planned clips at 24 fps and a native ratio, each opening on an approved frame, then finished."""

    def __init__(self, spec: ModelSpec, runner: PredictionRunner, fetcher: MediaFetcher) -> None:
        self.spec = spec
        self.runner = runner
        self.fetcher = fetcher

    def generate_video(self, request: VideoRequest, output_path: Path) -> VideoResult:
        """Plan the clips (refusing only what can't be delivered), render and capture each, then finish them."""
        plan = plan_video(self.spec, seconds=request.duration, fps=request.fps, aspect_ratio=request.ratio)
        expected = expected_seconds(
            self.spec.model_id, max(plan.clips), self.spec.expected_seconds or DEFAULT_EXPECTED_SECONDS
        )

        def render_clip(order: ClipOrder, report: Report) -> Path:
            model_input: dict[str, Any] = {
                "prompt": order.prompt,
                "duration": order.seconds,
                "aspect_ratio": order.aspect_ratio,
                "resolution": "720p",
            }
            if self.spec.sound:  # sent explicitly: Veo's default (true) bills the dearer per-second price
                model_input["generate_audio"] = request.sound
            if request.seed is not None:
                model_input["seed"] = request.seed
            if self.spec.first_frame and order.opening is not None:
                model_input["image"] = _data_uri(order.opening)
            prediction = self.runner.run(
                self.spec,
                model_input,
                request.user_id,
                sub=f"clip-{order.index}",
                label=f"{self.spec.model_id} is rendering {order.label}",
                output_seconds=order.seconds,
                report=report,
                eta_after=expected * (order.count - order.index - 1),
            )
            self.fetcher.fetch_video(output_urls(prediction)[0], order.path)
            return order.path

        frames = render_planned(
            plan,
            request,
            output_path,
            clip_size=lambda ratio: ratio_size(ratio, VEO_720P_LONG_SIDE),
            render_clip=render_clip,
            report=lambda fraction, message, eta: report_progress(
                round(fraction * 10_000), 10_000, message, eta_seconds=eta
            ),
            canceled=cancel_requested,
        )
        return VideoResult(path=output_path, frame_count=frames, provider=PROVIDER)
