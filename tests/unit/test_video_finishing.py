"""Finishing clips: joined with their sound in sync, trimmed to the exact length, converted, reframed."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from services.providers.video_finishing import BLURRED_PAD, CROP, finish_video, reframe_image

RATE = 48_000


def write_clip(path: Path, seconds: float, *, fps: int = 24, size=(320, 180), beep_at: float | None = None) -> Path:
    """A clip whose picture turns white, and (if beep_at) whose sound beeps, at the same moment."""
    width, height = size
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=RATE) if beep_at is not None else None
        if audio is not None:
            audio.layout = "stereo"
        for index in range(round(seconds * fps)):
            white = beep_at is not None and index / fps >= beep_at
            picture = np.full((height, width, 3), 255 if white else 0, np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if audio is not None:
            samples = np.arange(round(seconds * RATE))
            wave = np.where(samples / RATE >= beep_at, 0.8 * np.sin(2 * np.pi * 880 * samples / RATE), 0.0)
            for start in range(0, len(samples), 1024):
                chunk = wave[start : start + 1024].astype(np.float32)
                frame = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = RATE, start
                container.mux(audio.encode(frame))
            container.mux(audio.encode(None))
    return path


def first_white_second(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.to_ndarray(format="gray").mean() > 128:
                return float(frame.time)
    raise AssertionError("no white frame")


def first_loud_second(path: Path) -> float:
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.audio[0]):
            loud = np.flatnonzero(np.abs(frame.to_ndarray()[0]) > 0.3)
            if loud.size:
                return float(frame.time) + loud[0] / frame.sample_rate
    raise AssertionError("no sound")


def facts(path: Path) -> tuple[int, float, int, int, bool]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return (
            frames,
            float(stream.average_rate),
            stream.codec_context.width,
            stream.codec_context.height,
            bool(container.streams.audio),
        )


def test_clips_at_24_fps_become_exactly_the_asked_length_at_30_fps_with_their_sound_in_sync(tmp_path: Path):
    clips = [write_clip(tmp_path / "a.mp4", 4), write_clip(tmp_path / "b.mp4", 4, beep_at=2.0)]  # beep at 6 s
    frames = finish_video(clips, tmp_path / "out.mp4", seconds=7, fps=30, width=320, height=180)

    assert frames == 210
    assert facts(tmp_path / "out.mp4") == (210, 30.0, 320, 180, True), "sound kept although only one clip had it"
    seen, heard = first_white_second(tmp_path / "out.mp4"), first_loud_second(tmp_path / "out.mp4")
    assert abs(seen - 6.0) <= 1 / 30 + 0.01 and abs(heard - seen) <= 0.05, (seen, heard)
    with av.open(str(tmp_path / "out.mp4")) as container:
        audio = container.streams.audio[0]
        assert abs(sum(f.samples for f in container.decode(audio)) / audio.rate - 7.0) < 0.05


@pytest.mark.parametrize(("mode", "size"), [(CROP, (180, 180)), (BLURRED_PAD, (144, 180)), (CROP, (336, 144))])
def test_a_ratio_the_model_lacks_is_reached_exactly_by_crop_or_blurred_pad(tmp_path: Path, mode: str, size):
    clip = write_clip(tmp_path / "wide.mp4", 2)
    finish_video([clip], tmp_path / "out.mp4", seconds=2, fps=24, width=size[0], height=size[1], reframe=mode)
    assert facts(tmp_path / "out.mp4")[:4] == (48, 24.0, *size)


def test_short_clips_are_padded_with_their_last_picture_never_a_shorter_video(tmp_path: Path):
    clip = write_clip(tmp_path / "short.mp4", 1)
    assert finish_video([clip], tmp_path / "out.mp4", seconds=3, fps=12, width=320, height=180) == 36
    assert facts(tmp_path / "out.mp4")[0] == 36


def test_an_image_is_reframed_to_exactly_the_asked_size_keeping_its_centre(tmp_path: Path):
    wide = Image.new("RGB", (1280, 720), (0, 0, 255))
    wide.paste((255, 0, 0), (590, 310, 690, 410))  # a red subject in the centre
    buffer = io.BytesIO()
    wide.save(buffer, format="PNG")
    for mode in (CROP, BLURRED_PAD):
        square = Image.open(io.BytesIO(reframe_image(buffer.getvalue(), 816, 1020, mode)))
        assert square.size == (816, 1020)
        assert square.getpixel((408, 510))[0] > 200, "the subject stays in the centre"
