"""Finishing a video from a model's clips: join (keeping their sound), trim, convert the frame rate, reframe.

One ffmpeg pass (the binary imageio-ffmpeg ships) does it all, so the picture and the sound are cut by the same
clock: the frame rate is converted by timestamps (frames are dropped or repeated, the sound is untouched), the
length is cut to the exact duration, and a ratio the model could not render is reached by cropping around the
centre or by fitting the whole picture over a blurred fill of itself.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg
from PIL import Image, ImageFilter

from services.core.errors import JobCanceledError, ProviderError

Progress = Callable[[int, int, str], None]  # (done, total, message)
CROP, BLURRED_PAD = "crop", "blurred-pad"
SAMPLE_RATE = 48_000
BLUR_RADIUS = 24


@dataclass(frozen=True)
class ClipFacts:
    """What a clip holds, read with PyAV."""

    seconds: float
    width: int
    height: int
    has_audio: bool


def clip_facts(path: Path) -> ClipFacts:
    """Duration (frames over the average rate), size and whether the clip carries sound."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or Fraction(24)
            frames = stream.frames or sum(1 for _ in container.decode(stream))
            return ClipFacts(
                float(frames / rate), stream.codec_context.width, stream.codec_context.height, bool(container.streams.audio)
            )
    except (av.FFmpegError, IndexError) as exc:
        raise ProviderError(f"A rendered clip could not be read ({type(exc).__name__}).", provider="ffmpeg") from None


def reframe_filter(width: int, height: int, mode: str) -> str:
    """The ffmpeg filter chain that brings any picture to width x height by cropping or by a blurred pad."""
    if mode == BLURRED_PAD:
        # The fill is blurred at an eighth of the size and scaled back up: the same look at a fraction of the cost.
        small_w, small_h = max(2, width // 16 * 2), max(2, height // 16 * 2)
        return (
            f"split=2[bg][fg];[bg]scale={small_w}:{small_h}:force_original_aspect_ratio=increase,crop={small_w}:{small_h},"
            f"boxblur=4:1,scale={width}:{height}[blurred];[fg]scale={width}:{height}:force_original_aspect_ratio=decrease[fit];"
            f"[blurred][fit]overlay=(W-w)/2:(H-h)/2,setsar=1"
        )
    return f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},setsar=1"


def finish_video(
    clips: list[Path],
    output_path: Path,
    *,
    seconds: int,
    fps: int,
    width: int,
    height: int,
    reframe: str = CROP,
    progress: Progress | None = None,
    canceled: Callable[[], bool] = lambda: False,
) -> int:
    """Join clips into an MP4 of exactly seconds x fps frames at width x height, sound kept; returns the frame count."""
    facts = [clip_facts(clip) for clip in clips]
    total = seconds * fps
    first = facts[0]
    with_sound = any(fact.has_audio for fact in facts)
    graph, inputs = [], []
    for index, (clip, fact) in enumerate(zip(clips, facts, strict=True)):
        inputs += ["-i", str(clip)]
        graph.append(f"[{index}:v]scale={first.width}:{first.height},setsar=1,setpts=PTS-STARTPTS[v{index}]")
        if with_sound:
            # Each clip's sound is cut or padded to its own picture's length, so the join never drifts.
            source = f"[{index}:a]" if fact.has_audio else f"anullsrc=r={SAMPLE_RATE}:cl=stereo,"
            graph.append(
                f"{source}aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
                f"apad=whole_dur={fact.seconds:.6f},atrim=end={fact.seconds:.6f},asetpts=PTS-STARTPTS[a{index}]"
            )
    streams = "".join(f"[v{i}]" + (f"[a{i}]" if with_sound else "") for i in range(len(clips)))
    graph.append(
        f"{streams}concat=n={len(clips)}:v=1:a={1 if with_sound else 0}[joined]" + ("[sound]" if with_sound else "")
    )
    # Pad with the last picture if the clips fall short, convert the rate by timestamps, then reach the ratio.
    graph.append(
        f"[joined]tpad=stop_mode=clone:stop_duration={seconds},fps={fps},{reframe_filter(width, height, reframe)}[picture]"
    )
    maps = ["-map", "[picture]"]
    if with_sound:
        graph.append(f"[sound]apad=whole_dur={seconds},atrim=end={seconds}[audio]")
        maps += ["-map", "[audio]", "-c:a", "aac", "-b:a", "128k"]
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "error",
        "-y",
        *inputs,
        "-filter_complex",
        ";".join(graph),
        *maps,
        "-frames:v",
        str(total),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-r",
        str(fps),
        "-movflags",
        "+faststart",
        "-progress",
        "pipe:1",
        str(output_path),
    ]
    _run(command, total=total, progress=progress, canceled=canceled)
    return total


def _run(command: list[str], *, total: int, progress: Progress | None, canceled: Callable[[], bool]) -> None:
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            if canceled():
                process.kill()
                raise JobCanceledError("The video was canceled while it was being finished.")
            if line.startswith("frame=") and progress is not None:
                done = min(total, int(line.split("=", 1)[1].strip() or 0))
                progress(done, total, f"Encoding frame {done:,} of {total:,}")
        errors = process.stderr.read()
        if process.wait() != 0:
            raise ProviderError(f"The clips could not be joined: {errors.strip()[-300:]}", provider="ffmpeg")


def reframe_image(image: bytes, width: int, height: int, mode: str = CROP) -> bytes:
    """A PNG of exactly width x height from any image: cropped around the centre, or fitted over a blurred fill."""
    picture = Image.open(io.BytesIO(image)).convert("RGB")
    cover = _cover(picture, width, height)
    if mode == BLURRED_PAD:
        fitted = picture.copy()
        fitted.thumbnail((width, height), Image.Resampling.LANCZOS)
        if fitted.size != (width, height):  # thumbnail only shrinks: scale up to fit when the source is smaller
            scale = min(width / picture.width, height / picture.height)
            fitted = picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))))
        cover = cover.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
        cover.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
    buffer = io.BytesIO()
    cover.save(buffer, format="PNG")
    return buffer.getvalue()


def _cover(picture: Image.Image, width: int, height: int) -> Image.Image:
    scale = max(width / picture.width, height / picture.height)
    scaled = picture.resize((max(width, round(picture.width * scale)), max(height, round(picture.height * scale))))
    left, top = (scaled.width - width) // 2, (scaled.height - height) // 2
    return scaled.crop((left, top, left + width, top + height))
