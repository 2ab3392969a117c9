"""Capturing a prediction's output when its webhook says it succeeded (Replicate deletes outputs in an hour)."""

from __future__ import annotations

from services.core.errors import NotFoundError
from services.jobs.store import JobStore
from services.providers.media_capture import MediaFetcher
from services.storage.media_store import MediaStore


class PredictionOutputCapture:
    """Downloads a succeeded prediction's first output into its workflow's media, through the safe fetcher."""

    def __init__(self, *, jobs: JobStore, media: MediaStore, fetcher: MediaFetcher) -> None:
        self.jobs = jobs
        self.media = media
        self.fetcher = fetcher

    def __call__(self, prediction_id: str, urls: list[str]) -> str:
        """The media key the output was stored under."""
        owner = self.jobs.owner_of_prediction(prediction_id)
        if owner is None:
            raise NotFoundError(f"Prediction {prediction_id} was not created by this studio.")
        if not urls:
            raise NotFoundError(f"Prediction {prediction_id} succeeded without an output URL.")
        workflow_id, part = owner
        if urls[0].split("?")[0].endswith(".mp4"):
            key = f"workflows/{workflow_id}/webhook-{prediction_id}.mp4"
            scratch = self.media.scratch_path(".mp4")
            self.fetcher.fetch_video(urls[0], scratch)
            self.media.put_file(key, scratch)
        else:
            key = f"workflows/{workflow_id}/webhook-{prediction_id}.png"
            self.media.put_bytes(key, self.fetcher.fetch_image(urls[0]))
        return key
