"""What a user is told when a provider call fails: the provider's own safe text, never a stack trace or a key."""

from __future__ import annotations

import logging

from services.core.errors import MediaStoreError, ProviderError
from services.providers.registry import ResolvedModel

log = logging.getLogger(__name__)


def safe_message(model: ResolvedModel, error: BaseException | None) -> str:
    """A message fit for the user: the provider's own safe text, or the error's type only."""
    if isinstance(error, ProviderError | MediaStoreError):
        return error.message  # a full or read-only media store says so, and what to do
    log.error("provider %s (%s) failed unexpectedly", model.provider_name, model.model_id, exc_info=error)
    return f"{model.model_id} ({model.provider_name}) failed unexpectedly ({type(error).__name__})."
