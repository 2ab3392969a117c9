"""Providers that run generations as remote predictions, split so a crashed worker can resume.

`start_*` creates the paid prediction and returns its id at once; `await_*` polls an existing
prediction until it finishes and returns the result. The job layer records the id in between,
so a successor worker calls `await_*` again instead of paying for a second prediction.

Before creating, the job layer records an intent id and passes it along (Replicate: in the
webhook URL); a worker that died between the create and recording its id is covered by
`find_prediction(intent)`, which finds the prediction the intent already paid for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from services.providers.base import FrameRequest, FrameResult, VideoRequest, VideoResult

ProgressCallback = Callable[[int, str], None]


@runtime_checkable
class ResumableFrameGenerator(Protocol):
    def find_prediction(self, intent: str) -> str | None:
        """The prediction created earlier under this intent, if any."""
        ...

    def start_frame(self, request: FrameRequest, *, intent: str) -> str:
        """Create the prediction, tagged with intent; returns its id."""
        ...

    def await_frame(self, prediction_id: str, request: FrameRequest, on_progress: ProgressCallback) -> FrameResult:
        """Poll the prediction to the end and return the image."""
        ...


@runtime_checkable
class ResumableVideoGenerator(Protocol):
    def find_prediction(self, intent: str) -> str | None:
        """The prediction created earlier under this intent, if any."""
        ...

    def start_video(self, request: VideoRequest, *, intent: str) -> str:
        """Create the prediction, tagged with intent; returns its id."""
        ...

    def await_video(self, prediction_id: str, request: VideoRequest, output_path: Path,
                    on_progress: ProgressCallback) -> VideoResult:
        """Poll the prediction to the end and write the video to output_path."""
        ...
