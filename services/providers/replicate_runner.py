"""Replicate predictions over the official client's HTTP session, read as raw JSON.

`replicate==1.0.7` (the newest on PyPI) models a prediction's status as starting/processing/succeeded/
failed/canceled and refuses `aborted` (a deadline passed before the prediction started), so predictions
are read here as plain JSON: every terminal status, `aborted` included, ends the wait.

A prediction's inputs that are too large for a `data:` URL (INLINE_IMAGE_MAX_BYTES; Replicate asks for at
most 256 kB) go as files: a signed URL on PUBLIC_BASE_URL when one can be made, else Replicate's files API.
Inside a durable job, the intent is recorded before the paid create, with what marks its prediction (the
uploaded file's URL, the webhook's `intent` parameter, and a fingerprint of the input): a resumed job
finds the prediction it already paid for by that record, and uploads nothing twice.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import replicate

from services.core.errors import JobCanceledError, ProviderError, ProviderModelMissingError
from services.core.job_scope import (
    cancel_requested,
    expected_seconds,
    record_timing,
    report_progress,
    resumable_intent_prediction,
)
from services.providers.catalog import ModelSpec
from services.providers.prediction_progress import elapsed_fraction, logged_fraction
from services.providers.replicate_protocol import (  # noqa: F401 - re-exported: the adapter's surface
    MAX_DETAIL,
    PROVIDER,
    TERMINAL,
    Attachment,
    ClientFactory,
    MediaLinker,
    NotSentError,
    PredictionState,
    build_client,
    clean_detail,
    data_uri,
    fingerprint,
    map_replicate_error,
    raise_for_rate_limit,
    safe_to_resend,
)
from services.providers.retrying import RetryPolicy, call_with_retries

log = logging.getLogger(__name__)


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
        inline_max_bytes: int = 256 * 1024,
        media_links: MediaLinker | None = None,
    ) -> None:
        self.clients = clients
        self.policy = policy
        self.poll_seconds = poll_seconds
        self.deadline_seconds = deadline_seconds
        self.webhook_url = webhook_url
        self.clock = clock
        self.inline_max_bytes = inline_max_bytes
        self.media_links = media_links

    def run(
        self,
        spec: ModelSpec,
        model_input: dict[str, Any],
        user_id: str | None,
        *,
        sub: str = "",
        attachments: dict[str, Attachment] | None = None,
        label: str | None = None,
        output_seconds: float = 1.0,
        report: Report | None = None,
        eta_after: float = 0.0,
    ) -> PredictionState:
        """The finished, succeeded prediction; failed, canceled or aborted ones raise with the reason.

        While it runs, progress is reported (to `report`, else to the current job part): the step percentages a
        model logs (SDXL), or, for a model that reports nothing (Veo), elapsed time over the expected time (the
        median of its last 20 runs of similar length, else the registry's `expected_seconds`), capped at 95%.

        `attachments` are image inputs: small ones go inline as `data:` URLs, larger ones as file URLs.
        Inside a durable job the prediction is created at most once per job part (`sub` names a piece of
        the part, such as one clip): a resumed job polls the prediction its recorded intent points to.
        """
        client = self.clients(user_id)
        created: dict[str, PredictionState] = {}

        def prepare(intent: str) -> dict[str, Any]:
            files = {name: self._ship(client, item, intent) for name, item in (attachments or {}).items()}
            sent = {**model_input, **{name: url for name, url in files.items() if url is not None}}
            return {"files": {k: v for k, v in files.items() if v is not None}, "fingerprint": fingerprint(sent)}

        def full_input(detail: dict[str, Any]) -> dict[str, Any]:
            inline = {n: data_uri(a.data) for n, a in (attachments or {}).items() if n not in detail.get("files", {})}
            return {**model_input, **inline, **detail.get("files", {})}

        def create(intent: str, detail: dict[str, Any]) -> str:
            body_input = full_input(detail)
            prediction = call_with_retries(
                lambda: self._create(client, spec, body_input, intent), self.policy, should_retry=safe_to_resend
            )
            created[prediction.id] = prediction
            return prediction.id

        def find(intent: str, detail: dict[str, Any]) -> str | None:
            return self._find(client, spec, intent, detail)

        prediction_id = resumable_intent_prediction(prepare=prepare, create=create, find=find, sub=sub)
        prediction = created.get(prediction_id) or call_with_retries(
            functools.partial(self._get, client, prediction_id), self.policy
        )
        started = self.clock()
        deadline = started + self.deadline_seconds
        expected = expected_seconds(spec.model_id, output_seconds, spec.expected_seconds or DEFAULT_EXPECTED_SECONDS)
        tell = report or _job_part_report
        while prediction.status not in TERMINAL:
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
        succeeded = _succeeded(spec, prediction)
        record_timing(spec.model_id, output_seconds, self.clock() - started)
        tell(1.0, f"{label or spec.model_id}: done", eta_after)
        return succeeded

    def _ship(self, client: replicate.Client, item: Attachment, intent: str) -> str | None:
        """None: small enough to go inline. Else a URL Replicate can fetch: signed on our server, or an upload."""
        if len(item.data) <= self.inline_max_bytes:
            return None
        if item.media_key is not None and self.media_links is not None:
            signed = self.media_links(item.media_key)
            if signed is not None:
                return signed
        return self._upload(client, item.data, intent)

    def _upload(self, client: replicate.Client, data: bytes, intent: str) -> str:
        """POST /v1/files (multipart `content`, with the intent in its metadata); returns the file's URL."""
        kind = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
        name = f"first-frame.{'jpg' if kind == 'image/jpeg' else 'png'}"

        def once() -> str:
            try:
                response = client._request(  # the client's session: its token, base URL, timeout and transport
                    "POST",
                    "/v1/files",
                    files={"content": (name, io.BytesIO(data), kind)},
                    data={"metadata": json.dumps({"intent": intent})},
                )
                url = response.json()["urls"]["get"]
            except (KeyError, TypeError) as error:
                raise map_replicate_error(ValueError(str(error)), during="uploading the first frame") from None
            except Exception as error:  # noqa: BLE001 - mapped (or re-raised) by the one mapping function
                raise map_replicate_error(error, during="uploading the first frame") from None
            if not isinstance(url, str):
                raise ProviderError("Replicate's file upload answered without a URL.", provider=PROVIDER)
            return url

        # An upload is not a paid prediction: a repeated upload only leaves a spare file (it expires).
        return call_with_retries(once, self.policy)

    def _webhook(self, intent: str) -> str | None:
        if not self.webhook_url:
            return None
        joiner = "&" if "?" in self.webhook_url else "?"
        return f"{self.webhook_url}{joiner}{urlencode({'intent': intent})}"

    def _create(
        self, client: replicate.Client, spec: ModelSpec, model_input: dict[str, Any], intent: str
    ) -> PredictionState:
        body: dict[str, Any] = {"input": model_input}
        webhook = self._webhook(intent)
        if webhook:
            body.update(webhook=webhook, webhook_events_filter=["start", "completed"])
        if spec.version:
            body["version"] = spec.version
            path = "/v1/predictions"
        else:
            path = f"/v1/models/{spec.reference}/predictions"
        try:
            return PredictionState.of(client._request("POST", path, json=body).json())
        except Exception as error:  # noqa: BLE001 - mapped (or re-raised) by the one mapping function
            mapped = map_replicate_error(error, during=f"starting {spec.model_id}")
            if mapped.status == 404:  # the model (or its version) is gone: disable it, do not retry
                raise ProviderModelMissingError(mapped.message, provider=PROVIDER, status=404, retryable=False) from None
            raise mapped from None

    def _find(self, client: replicate.Client, spec: ModelSpec, intent: str, detail: dict[str, Any]) -> str | None:
        """The prediction a dead worker created for this intent: by its webhook marker, its file, or its fingerprint."""
        try:
            results = client._request("GET", "/v1/predictions").json().get("results") or []
        except Exception as error:  # noqa: BLE001
            raise map_replicate_error(error, during="looking for an earlier prediction") from None
        marker = f"intent={intent}"
        files = set((detail.get("files") or {}).values())
        for raw in results:
            try:
                prediction = PredictionState.of(raw)
            except ValueError:
                continue
            same_model = prediction.version == spec.version if spec.version else prediction.model == spec.reference
            if not same_model or prediction.status == "canceled":
                continue
            if marker in (prediction.webhook or ""):
                return prediction.id
            if files and files & {v for v in prediction.input.values() if isinstance(v, str)}:
                return prediction.id
            if not files and not self.webhook_url and fingerprint(prediction.input) == detail.get("fingerprint"):
                return prediction.id  # nothing else marks an inline-only prediction (see README, Deviations)
        return None

    def _cancel(self, client: replicate.Client, prediction_id: str) -> None:
        """Stop paying for a prediction we gave up on; best effort, the step fails either way."""
        try:
            client._request("POST", f"/v1/predictions/{prediction_id}/cancel")
        except Exception:  # noqa: BLE001
            log.warning("could not cancel Replicate prediction %s", prediction_id)

    def _get(self, client: replicate.Client, prediction_id: str) -> PredictionState:
        try:
            return PredictionState.of(client._request("GET", f"/v1/predictions/{prediction_id}").json())
        except Exception as error:  # noqa: BLE001
            raise map_replicate_error(error, during="checking the prediction") from None


DEFAULT_EXPECTED_SECONDS = 60.0  # a model with neither history nor an expected_seconds entry
Report = Callable[[float, str, float | None], None]  # (fraction of this call done, message, seconds left if known)


def _job_part_report(fraction: float, message: str, eta: float | None) -> None:
    report_progress(round(fraction * 1000), 1000, message, eta_seconds=eta)


def _report_running(
    report: Report, prediction: PredictionState, label: str, elapsed: float, expected: float, after: float
) -> None:
    """The model's own percentage when it logs one; else elapsed over expected, capped, with the time left."""
    logged = logged_fraction(prediction.logs)
    if logged is not None:
        report(logged, f"{label}: {round(100 * logged)}%", None)
        return
    report(elapsed_fraction(elapsed, expected), label, max(0.0, expected - elapsed) + after)


def _succeeded(spec: ModelSpec, prediction: PredictionState) -> PredictionState:
    if prediction.status == "failed":
        raise ProviderError(
            f"{spec.model_id} failed: {clean_detail(prediction.error or 'no reason given')}",
            provider=PROVIDER,
            retryable=False,
        )
    if prediction.status == "canceled":
        raise ProviderError(f"{spec.model_id} was canceled before it finished.", provider=PROVIDER, retryable=False)
    if prediction.status == "aborted":
        raise ProviderError(
            f"{spec.model_id} was aborted by Replicate before it started (its deadline passed); nothing was made.",
            provider=PROVIDER,
            retryable=True,
        )
    return prediction


def output_urls(prediction: PredictionState) -> list[str]:
    """The prediction's output URLs (a string or a list of strings)."""
    output = prediction.output
    urls = [output] if isinstance(output, str) else list(output or [])
    if not urls or not all(isinstance(url, str) for url in urls):
        raise ProviderError(f"Replicate prediction {prediction.id} succeeded without an output URL.", provider=PROVIDER)
    return urls
