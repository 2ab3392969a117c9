"""Animatic render speed as a real-time factor, beside the ffmpeg command line encoding the same frames.

Renders a 30 s, 1024x576, 30 fps animatic from three storyboard frames with the offline renderer
(compose + encode), then writes the very same composed frames as raw YUV and times
`ffmpeg -f rawvideo ... -c:v libx264 -preset veryfast -crf 23` on them (encode only).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
from _common import Figure, machine_line, write_results

from services.providers.base import FrameRequest, VideoRequest
from services.providers.offline_animatic import EncoderSettings, OfflineAnimaticRenderer, _decode_rgb, compose_frames
from services.providers.offline_storyboard import OfflineStoryboardRenderer


def storyboard(width: int, height: int) -> tuple[bytes, ...]:
    """Three real storyboard frames from the offline renderer."""
    renderer = OfflineStoryboardRenderer()
    scenes = ("Opening", "Middle", "Closing")
    return tuple(
        renderer.generate_frame(
            FrameRequest(
                workflow_id="bench",
                frame_number=n,
                frame_count=3,
                scene=scene,
                prompt=f"Concept: benchmark scene {n}",
                width=width,
                height=height,
                seed=n,
                model="offline-storyboard",
            )
        ).image
        for n, scene in enumerate(scenes, start=1)
    )


def main() -> None:
    started_script = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--height", type=int, default=576)
    args = parser.parse_args()
    images = storyboard(args.width, args.height)
    encoder = EncoderSettings()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "animatic.mp4"
        request = VideoRequest(
            workflow_id="bench",
            prompt="",
            frame_images=images,
            duration=args.duration,
            fps=args.fps,
            width=args.width,
            height=args.height,
            model="offline-animatic",
        )
        started = time.perf_counter()
        result = OfflineAnimaticRenderer(encoder).generate_video(request, out)
        ours = time.perf_counter() - started
        with av.open(str(out)) as container:
            decoded = sum(1 for _ in container.decode(video=0))

        raw = Path(scratch) / "frames.yuv"
        shots = [_decode_rgb(image, args.width, args.height) for image in images]
        with open(raw, "wb") as handle:
            for yuv in compose_frames(shots, total_frames=args.duration * args.fps, fps=args.fps):
                handle.write(np.ascontiguousarray(yuv).tobytes())
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
            "-s",
            f"{args.width}x{args.height}",
            "-r",
            str(args.fps),
            "-i",
            str(raw),
            "-c:v",
            encoder.codec,
            "-preset",
            encoder.preset,
            "-crf",
            encoder.crf,
            "-pix_fmt",
            encoder.pix_fmt,
            str(Path(scratch) / "ff.mp4"),
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True)
        ffmpeg_seconds = time.perf_counter() - started
    print(machine_line())
    print(
        f"animatic: {args.duration} s, {args.width}x{args.height}, {args.fps} fps, {encoder.codec} "
        f"preset={encoder.preset} crf={encoder.crf}; {result.frame_count} frames written, {decoded} decoded"
    )
    print(f"ours (compose + encode): {ours:.2f} s -> real-time factor {args.duration / ours:.2f}x (target >= 3x)")
    print(
        f"ffmpeg CLI (encode only, same frames and settings): {ffmpeg_seconds:.2f} s -> "
        f"real-time factor {args.duration / ffmpeg_seconds:.2f}x"
    )
    print(f"ours / ffmpeg time ratio: {ours / ffmpeg_seconds:.2f}")
    write_results(
        "animatic",
        [
            Figure(
                f"Animatic render, {args.duration} s {args.width}x{args.height} {args.fps} fps: real-time factor",
                args.duration / ours,
                "x real time",
                baseline=args.duration / ffmpeg_seconds,
                baseline_is="ffmpeg CLI, encode only, same frames and codec settings",
                target=">= 3 x real time",
                notes=f"ours composes + encodes in {ours:.1f} s; ffmpeg encodes in {ffmpeg_seconds:.1f} s; "
                f"{encoder.codec} {encoder.preset} crf {encoder.crf}",
            ),
        ],
        started=started_script,
        parameters=vars(args),
    )


if __name__ == "__main__":
    main()
