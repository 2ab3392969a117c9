"""A scripted Replicate (API and delivery host) behind httpx.MockTransport, enforcing Veo's real limits.

Veo predictions refuse what Google's Veo refuses (clips of 4, 6 or 8 s; 16:9 or 9:16 only) with a 422, and
succeed with a real MP4 at 24 fps, 1280x720 or 720x1280, with sound when generate_audio is on; they report
nothing while they run. SDXL predictions log step percentages as the real model does and deliver a real PNG
of the asked size. Every prediction takes `seconds` of wall time.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import av
import httpx
import numpy as np
from PIL import Image

from services.providers.base import FrameRequest
from services.providers.offline_storyboard import OfflineStoryboardRenderer

VEO_SECONDS, VEO_RATIOS, VEO_FPS, SAMPLE_RATE = (4, 6, 8), ("16:9", "9:16"), 24, 48_000
VEO_SIZES = {"16:9": (1280, 720), "9:16": (720, 1280)}
SDXL_STEPS = 50


@dataclass
class Prediction:
    id: str
    model: str
    version: str | None
    input: dict
    created: float
    canceled: bool = False


@dataclass
class ScriptedReplicate:
    """Answers Replicate's API and serves the outputs from replicate.delivery; records what was asked."""

    seconds: float = 0.3
    veo_seconds: float | None = None  # Veo predictions take this long (default: seconds)
    predictions: dict[str, Prediction] = field(default_factory=dict)
    refused: list[dict] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._api)

    @property
    def delivery(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._deliver)

    def veo_inputs(self) -> list[dict]:
        """Every Veo input that was accepted, in order."""
        return [p.input for p in self.predictions.values() if p.model.startswith("google/veo")]

    # ---- the API ------------------------------------------------------------------------------------

    def _api(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/v1/predictions":
            body = json.loads(request.content)
            return self._create("stability-ai/sdxl", body["version"], body["input"])
        if request.method == "POST" and path.startswith("/v1/models/") and path.endswith("/predictions"):
            model = path.removeprefix("/v1/models/").removesuffix("/predictions")
            return self._create(model, None, json.loads(request.content)["input"])
        if request.method == "GET" and path == "/v1/predictions":
            return httpx.Response(200, json={"results": [], "next": None, "previous": None})
        if request.method == "POST" and path.endswith("/cancel"):
            prediction = self.predictions[path.split("/")[3]]
            prediction.canceled = True
            return httpx.Response(200, json=self._body(prediction))
        if request.method == "GET" and path.startswith("/v1/predictions/"):
            return httpx.Response(200, json=self._body(self.predictions[path.split("/")[3]]))
        return httpx.Response(404, json={"detail": "not found", "status": 404})

    def _create(self, model: str, version: str | None, model_input: dict) -> httpx.Response:
        if model.startswith("google/veo"):
            problem = _veo_problem(model_input)
            if problem:
                self.refused.append(model_input)
                return httpx.Response(
                    422,
                    headers={"content-type": "application/problem+json"},
                    json={"title": "Invalid input", "detail": problem, "status": 422},
                )
        prediction = Prediction(uuid.uuid4().hex[:20], model, version, model_input, time.monotonic())
        with self._lock:
            self.predictions[prediction.id] = prediction
        return httpx.Response(201, json=self._body(prediction))

    def _body(self, prediction: Prediction) -> dict:
        veo = prediction.model.startswith("google/veo")
        duration = (self.veo_seconds if veo and self.veo_seconds is not None else self.seconds) or 0.001
        fraction = min(1.0, (time.monotonic() - prediction.created) / duration)
        status = "canceled" if prediction.canceled else ("succeeded" if fraction >= 1 else "processing")
        logs = "" if veo else _sdxl_logs(fraction)  # Veo reports nothing while it renders
        output = None
        if status == "succeeded":
            suffix = "mp4" if veo else "png"
            output = f"https://replicate.delivery/xezq/{prediction.id}/out.{suffix}"
            output = output if veo else [output]
        return {
            "id": prediction.id,
            "model": prediction.model,
            "version": prediction.version or "",
            "status": status,
            "input": prediction.input,
            "output": output,
            "error": None,
            "logs": logs,
            "metrics": {"predict_time": duration} if status == "succeeded" else {},
            "urls": {"get": f"https://api.replicate.com/v1/predictions/{prediction.id}"},
            "created_at": "2026-12-01T10:00:00.000Z",
            "started_at": None,
            "completed_at": None,
        }

    # ---- the delivery host --------------------------------------------------------------------------

    def _deliver(self, request: httpx.Request) -> httpx.Response:
        prediction = self.predictions[request.url.path.split("/")[2]]
        if request.url.path.endswith(".png"):
            return httpx.Response(200, content=_sdxl_png(prediction.input), headers={"content-type": "image/png"})
        return httpx.Response(200, content=_veo_mp4(prediction.input), headers={"content-type": "video/mp4"})


def _veo_problem(model_input: dict) -> str | None:
    if model_input.get("duration") not in VEO_SECONDS:
        return f"duration must be one of 4, 6, 8; got {model_input.get('duration')!r}"
    if model_input.get("aspect_ratio") not in VEO_RATIOS:
        return f"aspect_ratio must be one of 16:9, 9:16; got {model_input.get('aspect_ratio')!r}"
    unknown = set(model_input) - {"prompt", "image", "duration", "aspect_ratio", "resolution", "generate_audio", "seed"}
    if unknown:
        return f"unknown inputs: {sorted(unknown)}"
    return None


def _sdxl_logs(fraction: float) -> str:
    steps = int(fraction * SDXL_STEPS)
    lines = ["Using seed: 42", "Prompt: ..."]
    for step in range(0, steps + 1, 5):
        percent = round(100 * step / SDXL_STEPS)
        lines.append(f"{percent:3d}%|{'#' * (percent // 10):<10}| {step}/{SDXL_STEPS} [00:01<00:03, 12.50it/s]")
    return "\n".join(lines)


def _sdxl_png(model_input: dict) -> bytes:
    request = FrameRequest(
        workflow_id="replicate",
        frame_number=0,
        frame_count=1,
        scene="Scene",
        prompt=model_input["prompt"],
        width=model_input["width"],
        height=model_input["height"],
        seed=model_input.get("seed", 0),
        model="stable-diffusion-xl",
    )
    return OfflineStoryboardRenderer().generate_frame(request).image


def _veo_mp4(model_input: dict) -> bytes:
    """Duration x 24 frames of the opening image at Veo's 720p size, with a tone when generate_audio is on."""
    width, height = VEO_SIZES[model_input["aspect_ratio"]]
    seconds = model_input["duration"]
    picture = np.zeros((height, width, 3), np.uint8)
    if "image" in model_input:
        data = base64.b64decode(model_input["image"].split(",", 1)[1])
        picture = np.asarray(Image.open(io.BytesIO(data)).convert("RGB").resize((width, height)))
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=VEO_FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = container.add_stream("aac", rate=SAMPLE_RATE) if model_input.get("generate_audio", True) else None
        if audio is not None:
            audio.layout = "stereo"
        # Converted to YUV once; each frame rolls the planes (4 luma, 2 chroma pixels a frame), so the clip moves
        # without a colour conversion per frame (that had been most of this fake's CPU time).
        yuv = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p").to_ndarray()
        luma = yuv[:height]
        chroma = [plane.reshape(height // 2, width // 2) for plane in np.split(yuv[height:], 2)]
        for index in range(seconds * VEO_FPS):
            planes = [np.roll(luma, index * 4, axis=1)] + [np.roll(c, index * 2, axis=1).reshape(-1, width) for c in chroma]
            frame = av.VideoFrame.from_ndarray(np.concatenate(planes), format="yuv420p")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio is not None:
            samples = np.arange(seconds * SAMPLE_RATE)
            wave = (0.2 * np.sin(2 * np.pi * 220 * samples / SAMPLE_RATE)).astype(np.float32)
            for start in range(0, len(samples), 1024):
                chunk = wave[start : start + 1024]
                frame = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = SAMPLE_RATE, start
                container.mux(audio.encode(frame))
            container.mux(audio.encode(None))
    return buffer.getvalue()
