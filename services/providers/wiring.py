"""Builds the model registry from the catalog: real providers where a key exists, offline otherwise."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from services.core import metrics
from services.core.errors import ProviderError
from services.core.settings import Settings
from services.core.tls import shared_tls_context
from services.providers.base import FrameRequest, RefinementRequest, VideoRequest
from services.providers.catalog import ModelSpec, Price, load_catalog
from services.providers.circuit_breaker import CircuitBreakers, Guarded
from services.providers.keys import ProviderKeyVault
from services.providers.media_capture import MediaFetcher, Resolver, system_resolver
from services.providers.offline_animatic import OfflineAnimaticRenderer
from services.providers.offline_clips import OfflineClipVideo
from services.providers.offline_refiner import OfflineRefiner
from services.providers.offline_storyboard import OfflineStoryboardRenderer
from services.providers.poe import PoeRefiner
from services.providers.poe_video import PoeVideoGenerator
from services.providers.registry import ModelRegistry, ModelRole
from services.providers.replicate_models import (
    PredictionRunner,
    ReplicateFrameGenerator,
    ReplicateVideoGenerator,
    build_client,
)
from services.providers.retrying import RetryPolicy

OFFLINE = "offline"


@dataclass(frozen=True)
class Transports:
    """Injection points for tests: HTTP transports, DNS and sleeping. None means the real thing."""

    poe: httpx.BaseTransport | None = None
    replicate: httpx.BaseTransport | None = None
    media: httpx.BaseTransport | None = None
    resolver: Resolver | None = None
    sleep: Callable[[float], None] | None = None


class Credentials:
    """Which key pays for a call: the user's own (decrypted, audited) first, then the global one."""

    def __init__(self, settings: Settings, vault: ProviderKeyVault | None = None) -> None:
        self.vault = vault
        self._global = {"poe": settings.POE_API_KEY, "replicate": settings.REPLICATE_API_KEY}

    def has_global(self, provider: str) -> bool:
        """True when the environment holds a key for provider."""
        return self._global.get(provider) is not None

    def has_key(self, provider: str, user_id: str | None) -> bool:
        """True when a call for this user would find a key."""
        own = self.vault is not None and user_id is not None and self.vault.has_key(user_id=user_id, provider=provider)
        return own or self.has_global(provider)

    def key(self, provider: str, user_id: str | None) -> str:
        """The key to send; raises a ProviderError that says how to fix a missing key."""
        if self.vault is not None and user_id is not None:
            own = self.vault.reveal(user_id=user_id, provider=provider, purpose=f"{provider} generation")
            if own:
                return own
        secret = self._global.get(provider)
        if secret is None:
            raise ProviderError(
                f"No {provider} key is configured. Add your own key in your settings.", provider=provider, retryable=False
            )
        return secret.get_secret_value()


class KeyOrOffline:
    """Runs the real provider when the user (or the app) has a key for it, else the offline one, and says which."""

    def __init__(self, real: object, offline: object, *, provider: str, credentials: Credentials) -> None:
        self.real, self.offline, self.provider, self.credentials = real, offline, provider, credentials

    def _pick(self, user_id: str | None) -> tuple[object, str]:
        if self.credentials.has_key(self.provider, user_id):
            return self.real, self.provider
        return self.offline, OFFLINE

    def refine(self, request: RefinementRequest):  # type: ignore[no-untyped-def]
        """Refine with whichever provider has a key."""
        implementation, name = self._pick(request.user_id)
        return dataclasses.replace(implementation.refine(request), provider=name)  # type: ignore[attr-defined]

    def generate_frame(self, request: FrameRequest):  # type: ignore[no-untyped-def]
        """Draw with whichever provider has a key."""
        implementation, name = self._pick(request.user_id)
        return dataclasses.replace(implementation.generate_frame(request), provider=name)  # type: ignore[attr-defined]

    def generate_video(self, request: VideoRequest, output_path: Path):  # type: ignore[no-untyped-def]
        """Render with whichever provider has a key."""
        implementation, name = self._pick(request.user_id)
        result = implementation.generate_video(request, output_path)  # type: ignore[attr-defined]
        return dataclasses.replace(result, provider=name)


def build_media_fetcher(settings: Settings, transports: Transports, *, provider: str = "replicate") -> MediaFetcher:
    """The one downloader of provider outputs: HTTPS, allow-listed public hosts, size caps, deadlines."""
    s = settings
    media_http = httpx.Client(
        timeout=httpx.Timeout(s.PROVIDER_READ_TIMEOUT_SECONDS, connect=s.PROVIDER_CONNECT_TIMEOUT_SECONDS),
        follow_redirects=False,
        verify=shared_tls_context(),
        transport=transports.media,
    )
    return MediaFetcher(
        media_http,
        allowed_hosts=s.media_allowed_hosts,
        provider=provider,
        max_image_bytes=s.MEDIA_MAX_IMAGE_BYTES,
        max_video_bytes=s.MEDIA_MAX_VIDEO_BYTES,
        timeout_seconds=s.MEDIA_DOWNLOAD_TIMEOUT_SECONDS,
        resolver=transports.resolver or system_resolver,
    )


class ProviderFactory:
    """Makes the real adapters for catalog entries, sharing clients, retry policy and media fetcher."""

    def __init__(
        self,
        settings: Settings,
        credentials: Credentials,
        transports: Transports,
        sign_media: Callable[[str, int], str] | None = None,
    ) -> None:
        self.settings, self.credentials, self.transports = settings, credentials, transports
        s = settings
        self.timeout = httpx.Timeout(s.PROVIDER_READ_TIMEOUT_SECONDS, connect=s.PROVIDER_CONNECT_TIMEOUT_SECONDS)
        self.policy = RetryPolicy(
            max_attempts=s.PROVIDER_MAX_ATTEMPTS,
            backoff_seconds=s.PROVIDER_BACKOFF_SECONDS,
            max_wait_seconds=s.PROVIDER_MAX_RETRY_WAIT_SECONDS,
            sleep=transports.sleep or time.sleep,
        )
        self.poe_http = httpx.Client(
            base_url=s.POE_BASE_URL,
            timeout=self.timeout,
            follow_redirects=False,
            verify=shared_tls_context(),
            transport=transports.poe,
        )
        self.fetcher = build_media_fetcher(s, transports)
        self.poe_fetcher = build_media_fetcher(s, transports, provider="poe")
        video_timeout = httpx.Timeout(s.POE_VIDEO_TIMEOUT_SECONDS, connect=s.PROVIDER_CONNECT_TIMEOUT_SECONDS)
        self.poe_video_http = httpx.Client(
            base_url=s.POE_BASE_URL,
            timeout=video_timeout,
            follow_redirects=False,
            verify=shared_tls_context(),
            transport=transports.poe,
        )
        webhook = f"{s.PUBLIC_BASE_URL.rstrip('/')}/api/webhooks/replicate" if s.PUBLIC_BASE_URL else None
        self.runner = PredictionRunner(
            self._replicate_client,
            policy=self.policy,
            poll_seconds=s.PREDICTION_POLL_SECONDS,
            deadline_seconds=s.PREDICTION_DEADLINE_SECONDS,
            webhook_url=webhook,
            inline_max_bytes=s.INLINE_IMAGE_MAX_BYTES,
            media_links=_media_links(s, sign_media),
        )
        self._clients: dict[str, object] = {}
        self._lock = threading.Lock()

    def _replicate_client(self, user_id: str | None):  # type: ignore[no-untyped-def]
        token = self.credentials.key("replicate", user_id)
        with self._lock:  # one client (connection pool) per distinct key
            if token not in self._clients:
                self._clients[token] = build_client(
                    token,
                    base_url=self.settings.REPLICATE_BASE_URL,
                    timeout=self.timeout,
                    transport=self.transports.replicate,
                )
            return self._clients[token]

    def real(self, spec: ModelSpec) -> object:
        """The real adapter for spec."""
        if spec.provider == "poe" and spec.role == ModelRole.VIDEO.value:
            return PoeVideoGenerator(
                self.poe_video_http,
                spec=spec,
                policy=self.policy,
                fetcher=self.poe_fetcher,
                api_key=lambda user_id: self.credentials.key("poe", user_id),
            )
        if spec.provider == "poe":
            return PoeRefiner(
                self.poe_http,
                bot=spec.reference,
                policy=self.policy,
                api_key=lambda user_id: self.credentials.key("poe", user_id),
            )
        if spec.role == ModelRole.FRAMES.value:
            return ReplicateFrameGenerator(spec, self.runner, self.fetcher)
        return ReplicateVideoGenerator(spec, self.runner, self.fetcher)


def _media_links(settings: Settings, sign: Callable[[str, int], str] | None) -> Callable[[str], str | None] | None:
    """Absolute signed URLs of stored media that Replicate can fetch: only with PUBLIC_BASE_URL and a signer."""
    base = settings.PUBLIC_BASE_URL
    if not base or sign is None:
        return None
    root = base.rstrip("/")
    return lambda key: f"{root}{sign(key, settings.SIGNED_MEDIA_URL_SECONDS)}"


def build_registry(
    settings: Settings,
    *,
    vault: ProviderKeyVault | None = None,
    transports: Transports | None = None,
    sign_media: Callable[[str, int], str] | None = None,
) -> ModelRegistry:
    """Every catalog id, served by its real provider when a global key (or a key vault) exists, else offline."""
    catalog = load_catalog(settings.MODEL_CONFIG_PATH, usd_per_point=settings.POE_USD_PER_POINT)
    credentials = Credentials(settings, vault)
    factory: ProviderFactory | None = None
    offline = {
        ModelRole.REFINEMENT: OfflineRefiner(),
        ModelRole.FRAMES: OfflineStoryboardRenderer(),
        ModelRole.VIDEO: OfflineAnimaticRenderer(),
    }
    registry = ModelRegistry()
    registry.catalog = catalog
    registry.breakers = CircuitBreakers(
        failure_threshold=settings.CIRCUIT_BREAKER_FAILURES,
        cooldown_seconds=settings.CIRCUIT_BREAKER_COOLDOWN_SECONDS,
        on_change=metrics.circuit_changed,
    )
    for spec in catalog.values():
        role = ModelRole(spec.role)
        if spec.lifecycle.retired:
            life = spec.lifecycle
            registry.retire(spec.model_id, retired_on=life.retired_on or "?", successor=life.successor, source=life.source)
        if spec.is_offline:
            registry.register(role, spec.model_id, provider_name=OFFLINE, implementation=offline[role], spec=spec)
            continue
        stand_in = OfflineClipVideo(spec) if role is ModelRole.VIDEO and spec.clip_seconds else offline[role]
        if not credentials.has_global(spec.provider) and vault is None:
            # The real model's limits and clip plan, so a demo accepts and refuses what production would; no price.
            free = dataclasses.replace(spec, price=Price())
            registry.register(role, spec.model_id, provider_name=OFFLINE, implementation=stand_in, spec=free)
            continue
        factory = factory or ProviderFactory(settings, credentials, transports or Transports(), sign_media)
        implementation: Guarded | KeyOrOffline = Guarded(
            factory.real(spec), registry.breakers.for_model(spec.provider, spec.model_id)
        )
        if not credentials.has_global(spec.provider):
            implementation = KeyOrOffline(implementation, stand_in, provider=spec.provider, credentials=credentials)
        registry.register(role, spec.model_id, provider_name=spec.provider, implementation=implementation, spec=spec)
    return registry
