"""A scripted Replicate API whose files and predictions live in MongoDB, so they outlive a killed worker.

It answers the real adapter's HTTP calls (through httpx.MockTransport): file uploads, creates (which can
linger after the prediction exists, to open the window in which a worker dies unrecorded), listing, polling.
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
from pymongo.database import Database

FILES, PREDICTIONS = "fake_replicate_files", "fake_replicate_predictions"


class MongoReplicate:
    """Handler for httpx.MockTransport: Replicate's documented shapes, state in MongoDB."""

    def __init__(self, db: Database, *, seconds: float, create_delay: float = 0.0) -> None:
        self.files, self.predictions = db[FILES], db[PREDICTIONS]
        self.seconds, self.create_delay = seconds, create_delay

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if method == "POST" and path == "/v1/files":
            file_id = uuid.uuid4().hex
            self.files.insert_one({"_id": file_id, "size": len(request.content)})
            url = f"https://api.replicate.com/v1/files/{file_id}"
            return httpx.Response(201, json={"id": file_id, "name": "first-frame.png", "urls": {"get": url}})
        if method == "POST" and path.endswith("/predictions"):
            body = json.loads(request.content)
            model = path.removeprefix("/v1/models/").removesuffix("/predictions")
            doc = {"_id": uuid.uuid4().hex, "model": model, "input": body["input"], "webhook": body.get("webhook")}
            self.predictions.insert_one({**doc, "createdAt": time.time()})
            time.sleep(self.create_delay)  # Replicate has made it; the answer is still on its way
            return httpx.Response(201, json=self._json(self.predictions.find_one({"_id": doc["_id"]})))
        if method == "GET" and path == "/v1/predictions":
            docs = self.predictions.find().sort("createdAt", -1)
            return httpx.Response(200, json={"results": [self._json(d) for d in docs], "next": None})
        if path.startswith("/v1/predictions/"):
            doc = self.predictions.find_one({"_id": path.split("/")[3]})
            return httpx.Response(200, json=self._json(doc)) if doc else httpx.Response(404, json={"detail": "Not found"})
        return httpx.Response(404, json={"detail": "Not found"})

    def _json(self, doc: dict) -> dict:
        done = time.time() - doc["createdAt"] >= self.seconds
        return {
            "id": doc["_id"],
            "model": doc["model"],
            "version": "hidden",
            "status": "succeeded" if done else "processing",
            "input": doc["input"],
            "webhook": doc.get("webhook"),
            "output": f"https://replicate.delivery/fake/{doc['_id']}.mp4" if done else None,
            "error": None,
            "created_at": "2026-12-01T22:00:00.000Z",
            "urls": {"get": f"https://api.replicate.com/v1/predictions/{doc['_id']}"},
        }

    def creates(self) -> int:
        """Predictions created (paid for)."""
        return self.predictions.count_documents({})

    def uploads(self) -> int:
        """Files uploaded."""
        return self.files.count_documents({})
