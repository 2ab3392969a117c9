"""Refined-prompt cache: an identical request (after normalising) is answered without a provider call."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

from services.providers.base import RefinementRequest

PROMPT_CACHE = "prompt_cache"


def ensure_cache_indexes(db: Database) -> None:
    """MongoDB drops entries once expiresAt has passed (reads check it too, the TTL monitor is lazy)."""
    db[PROMPT_CACHE].create_indexes([IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0)])


def _squash(text: str | None) -> str:
    return " ".join((text or "").split())


def cache_key(request: RefinementRequest, *, scope: str) -> str:
    """Same scope, model, brief (whitespace and case aside), history and notes (whitespace aside) -> same key."""
    brief = {name: _squash(str(value)).casefold() for name, value in asdict(request.brief).items()}
    material = {
        "scope": scope,
        "model": request.model,
        "brief": brief,
        "history": [[_squash(past.additional_info), _squash(past.refined_prompt)] for past in request.history],
        "notes": _squash(request.additional_info),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class PromptCache:
    """Cached refinements in the `prompt_cache` collection, per user unless shared."""

    def __init__(self, db: Database, *, ttl_seconds: int, shared: bool, clock: Callable[[], datetime]) -> None:
        self.collection = db[PROMPT_CACHE]
        self.ttl = timedelta(seconds=ttl_seconds)
        self.shared = shared
        self.clock = clock

    def key_for(self, request: RefinementRequest, *, user_id: str) -> str:
        """The cache key for this user's request."""
        return cache_key(request, scope="*" if self.shared else user_id)

    def get(self, key: str) -> dict | None:
        """The cached entry (refinedPrompt, provider, usage, createdAt), if present and not expired."""
        return self.collection.find_one(
            {"_id": key, "expiresAt": {"$gt": self.clock()}}, {"refinedPrompt": 1, "provider": 1, "usage": 1, "createdAt": 1}
        )

    def put(self, key: str, *, refined_prompt: str, provider: str, model: str, usage: dict[str, int]) -> None:
        """Remember a provider's answer until the TTL runs out."""
        now = self.clock()
        self.collection.replace_one(
            {"_id": key},
            {
                "_id": key,
                "refinedPrompt": refined_prompt,
                "provider": provider,
                "model": model,
                "usage": usage,
                "createdAt": now,
                "expiresAt": now + self.ttl,
            },
            upsert=True,
        )


def build_prompt_cache(db: Database, *, ttl_seconds: int, shared: bool, clock: Callable[[], datetime]) -> PromptCache | None:
    """The cache with its TTL index, or None when PROMPT_CACHE_TTL_SECONDS is 0."""
    if ttl_seconds <= 0:
        return None
    ensure_cache_indexes(db)
    return PromptCache(db, ttl_seconds=ttl_seconds, shared=shared, clock=clock)
