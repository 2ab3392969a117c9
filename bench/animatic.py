"""Animatic render speed as a real-time factor, beside ffmpeg rendering the whole animatic itself.

Renders a 30 s, 1024x576, 30 fps animatic from three storyboard frames with the offline renderer
(compose + encode), and has the ffmpeg binary imageio-ffmpeg ships render the same animatic from the same
stills as one filter graph: each still looped and moved with `zoompan` (the same zoom range and drift,
alternating in and out), `xfade` crossfades of the same length, `-c:v libx264 -preset veryfast -crf 23
-x264-params me=dia:subme=1 -pix_fmt yuv420p`. The two take turns (--rounds), and the fastest run of each counts.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import av
import imageio_ffmpeg
from _common import Figure, machine_line, write_results

from services.providers.base import FrameRequest, VideoRequest
from services.providers.offline_animatic import CROSSFADE_SECONDS, ZOOM_RANGE, EncoderSettings, OfflineAnimaticRenderer
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


def ffmpeg_command(stills: list[Path], out: Path, *, total: int, fps: int, width: int, height: int) -> list[str]:
    """ffmpeg doing the whole animatic itself: each still looped, zoompan'd through the same camera moves, xfade'd
    into the next over the same crossfade length, encoded with the same codec settings."""
    encoder, count = EncoderSettings(), len(stills)
    shot = total // count
    fade = round(min(0.3, CROSSFADE_SECONDS * fps * count / total) * shot)
    inputs, chains = [], []
    for number, still in enumerate(stills):
        frames = shot + (fade if number < count - 1 else 0)  # the tail overlaps the next clip during its crossfade
        inputs += ["-loop", "1", "-framerate", str(fps), "-t", f"{frames / fps:.6f}", "-i", str(still)]
        p = f"min(on/{shot}\\,1)"
        zoom = f"1+{ZOOM_RANGE}*{p}" if number % 2 == 0 else f"{1 + ZOOM_RANGE}-{ZOOM_RANGE}*{p}"
        drift = p if number % 2 == 0 else f"(1-{p})"
        chains.append(
            f"[{number}:v]zoompan=z='{zoom}':x='(iw-iw/zoom)*{drift}':y='(ih-ih/zoom)/2':d=1:s={width}x{height}"
            f":fps={fps},format=yuv420p[v{number}]"
        )
    last = "v0"
    for number in range(1, count):
        chains.append(
            f"[{last}][v{number}]xfade=transition=fade:duration={fade / fps:.6f}:offset={number * shot / fps:.6f}[x{number}]"
        )
        last = f"x{number}"
    return [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-y",
        "-loglevel",
        "error",
        *inputs,
        "-filter_complex",
        ";".join(chains),
        "-map",
        f"[{last}]",
        "-frames:v",
        str(total),
        "-c:v",
        encoder.codec,
        "-preset",
        encoder.preset,
        "-crf",
        encoder.crf,
        "-x264-params",
        encoder.x264_params,
        "-pix_fmt",
        encoder.pix_fmt,
        str(out),
    ]


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def main() -> None:
    started_script = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--height", type=int, default=576)
    parser.add_argument("--rounds", type=int, default=3, help="turns each takes; the fastest of each counts")
    args = parser.parse_args()
    images = storyboard(args.width, args.height)
    encoder = EncoderSettings()
    total = args.duration * args.fps
    ours_runs, ffmpeg_runs = [], []
    with tempfile.TemporaryDirectory() as scratch:
        stills = []
        for number, image in enumerate(images):
            stills.append(Path(scratch) / f"still-{number}.png")
            stills[-1].write_bytes(image)
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
        out, ff_out = Path(scratch) / "animatic.mp4", Path(scratch) / "ff.mp4"
        command = ffmpeg_command(stills, ff_out, total=total, fps=args.fps, width=args.width, height=args.height)
        progress_calls = []
        for _ in range(args.rounds):  # taking turns, so both see the same machine load
            progress_calls.clear()
            started = time.perf_counter()
            result = OfflineAnimaticRenderer(encoder).generate_video(
                request, out, progress=lambda n, m: progress_calls.append(n)
            )
            ours_runs.append(time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run(command, check=True)
            ffmpeg_runs.append(time.perf_counter() - started)
        decoded, ff_decoded = decoded_frames(out), decoded_frames(ff_out)
    ours, ffmpeg_seconds = min(ours_runs), min(ffmpeg_runs)
    progress_exact = progress_calls == list(range(1, total + 1))
    print(machine_line())
    print(
        f"animatic: {args.duration} s, {args.width}x{args.height}, {args.fps} fps, {encoder.codec} "
        f"preset={encoder.preset} crf={encoder.crf}; {result.frame_count} frames written, {decoded} decoded "
        f"(ffmpeg's: {ff_decoded}); progress called after every frame: {progress_exact}"
    )
    print(f"ours (compose + encode): {ours:.2f} s -> real-time factor {args.duration / ours:.2f}x (target >= 8x)")
    print(
        f"ffmpeg, whole animatic as a filter graph (zoompan, xfade), same stills and codec settings: "
        f"{ffmpeg_seconds:.2f} s -> real-time factor {args.duration / ffmpeg_seconds:.2f}x"
    )
    print(f"ours / ffmpeg time ratio: {ours / ffmpeg_seconds:.2f} (target <= 1.0); runs {ours_runs} / {ffmpeg_runs}")
    write_results(
        "animatic",
        [
            Figure(
                f"Animatic render, {args.duration} s {args.width}x{args.height} {args.fps} fps: real-time factor",
                args.duration / ours,
                "x real time",
                baseline=args.duration / ffmpeg_seconds,
                baseline_is="ffmpeg CLI rendering the whole animatic: zoompan + xfade filter graph, same stills and codec",
                target=">= 8 x real time",
                notes=f"ours composes + encodes in {ours:.1f} s; {decoded} of {total} frames decoded back; progress "
                f"after every frame: {'yes' if progress_exact else 'NO'}; {encoder.codec} {encoder.preset} crf "
                f"{encoder.crf} {encoder.x264_params}; fastest of {args.rounds} turns each",
            ),
            Figure(
                f"Animatic render, {args.duration} s {args.width}x{args.height} {args.fps} fps: time",
                ours,
                "s",
                baseline=ffmpeg_seconds,
                baseline_is="the same ffmpeg filter graph run",
                target="<= 1.0 x ffmpeg's time",
                notes=f"each run, ours {', '.join(f'{t:.1f}' for t in ours_runs)} s; ffmpeg "
                f"{', '.join(f'{t:.1f}' for t in ffmpeg_runs)} s; frames match the earlier BGR renderer within "
                "35 dB PSNR (tests/unit/providers/test_animatic_speed.py)",
            ),
        ],
        started=started_script,
        parameters=vars(args),
        details={"ours_seconds": ours_runs, "ffmpeg_seconds": ffmpeg_runs, "ffmpeg_command": command},
    )


if __name__ == "__main__":
    main()
