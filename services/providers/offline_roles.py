"""Which roles (refinement, frames, video) only offline stand-ins can serve, for the banner and /api/health."""

from __future__ import annotations

from services.core.settings import Settings
from services.providers.catalog import ROLES, load_catalog

PROVIDER_KEY_SETTINGS = {"poe": "POE_API_KEY", "replicate": "REPLICATE_API_KEY"}


def offline_roles(settings: Settings) -> list[str]:
    """The roles with no model a configured provider key can serve: their work is drawn locally, offline.

    A user's own key (Settings → provider keys) can still serve that user; the app-wide view counts only the
    environment's keys, which is what everyone else gets.
    """
    keyed = {provider for provider, name in PROVIDER_KEY_SETTINGS.items() if getattr(settings, name) is not None}
    catalog = load_catalog(settings.MODEL_CONFIG_PATH)
    served = {spec.role for spec in catalog.values() if not spec.is_offline and spec.provider in keyed}
    return [role for role in ROLES if role not in served]
