"""The one composition root: `bootstrap` wires settings, database, media store, providers and every service."""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
from limits.storage import Storage
from pymongo.database import Database

from services.accounts.admins import AdminRoles
from services.accounts.api_services import ApiServices, build_api_services
from services.accounts.users import UserService, ensure_user_indexes
from services.analytics.service import AnalyticsService
from services.core import metrics
from services.core.clock import utc_now
from services.core.kept_secrets import kept_secret
from services.core.settings import Settings, load_settings
from services.core.tls import shared_tls_context
from services.jobs.dispatch import EmbeddedWorkerPool, JobDispatcher, JobHandlers
from services.jobs.runner import JobRunner
from services.jobs.store import JobKind, JobStore, ensure_job_indexes
from services.lab.repository import LabRepository, ensure_lab_indexes
from services.lab.service import PromptLab
from services.lab.variations import LabVariations
from services.providers.keys import MasterKeys, ProviderKeyVault, build_vault
from services.providers.media_capture import system_resolver
from services.providers.registry import ModelRegistry
from services.providers.status import ProviderStatus
from services.providers.wiring import Transports, build_media_fetcher, build_registry
from services.review.guard import TokenGuard
from services.review.repository import ReviewRepository, ensure_review_indexes
from services.review.service import ReviewService
from services.runtime import Runtime
from services.storage.connection import connect, supervise
from services.storage.media_store import MediaStore
from services.storage.selection import build_media_store
from services.storage.signed_urls import MediaUrlSigner, SignedMedia
from services.studio.migrations import migrate_frames_from_zero
from services.studio.service import VideoWorkflowService
from services.webhooks.capture import PredictionOutputCapture
from services.webhooks.inbox import WebhookInbox
from services.webhooks.outgoing import OutgoingWebhooks, ensure_webhook_indexes
from services.workflows.campaigns import CampaignService, ensure_campaign_indexes
from services.workflows.prompt_cache import build_prompt_cache
from services.workflows.repository import MongoWorkflowRepository, ensure_indexes
from services.workflows.version_repair import repair_repeated_frame_versions

log = logging.getLogger(__name__)


def build_model_registry(
    settings: Settings, *, vault: ProviderKeyVault | None = None, media_links: SignedMedia | None = None
) -> ModelRegistry:
    """Every id in the model configuration: real providers where a key exists, offline providers otherwise."""
    # Signed URLs (under /api, made absolute with PUBLIC_BASE_URL) let Replicate fetch large first frames.
    return build_registry(settings, vault=vault, sign_media=media_links.url if media_links else None)


def build_job_runner(db: Database, settings: Settings) -> JobRunner:
    """The job store and this process's runner, with the configured lease and heartbeat."""
    store = JobStore(db, clock=utc_now, lease=timedelta(seconds=settings.JOB_LEASE_SECONDS))
    return JobRunner(store, heartbeat_every=settings.JOB_HEARTBEAT_SECONDS)


def build_webhook_inbox(settings: Settings, db: Database, *, jobs: JobStore, media: MediaStore) -> WebhookInbox | None:
    """The Replicate webhook inbox, capturing outputs through the provider media fetcher; None without a secret."""
    if settings.REPLICATE_WEBHOOK_SECRET is None:
        return None
    capture = PredictionOutputCapture(jobs=jobs, media=media, fetcher=build_media_fetcher(settings, Transports()))
    return WebhookInbox(
        db,
        secret=settings.REPLICATE_WEBHOOK_SECRET.get_secret_value(),
        capture=capture,
        clock=utc_now,
        now_seconds=time.time,
    )


def build_outgoing_webhooks(settings: Settings, db: Database) -> OutgoingWebhooks:
    """Users' callback URLs; their secrets are encrypted under the master keys (a kept development key without)."""
    ensure_webhook_indexes(db)
    master = settings.PROVIDER_KEY_MASTER_KEYS
    keys = MasterKeys.parse(master.get_secret_value()).keys if master else {"dev": _development_key(settings)}
    http = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False, verify=shared_tls_context())
    return OutgoingWebhooks(
        db,
        keys=keys,
        http=http,
        resolver=system_resolver,
        clock=utc_now,
        allow_private_targets=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
        allowed_ports=settings.webhook_ports,
        max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
        backoff_seconds=settings.WEBHOOK_BACKOFF_SECONDS,
    )


def _development_key(settings: Settings) -> bytes:
    """A 32-byte key generated once under DATA_DIR (mode 0600) for when no master keys are configured."""
    return kept_secret(settings.DATA_DIR / "callback-secrets.key", lambda: os.urandom(32))


def build_lab(db: Database, service: VideoWorkflowService) -> PromptLab:
    """The Prompt Lab over this workflow service, with its indexes; its variation job runs on the service's workers."""
    ensure_lab_indexes(db)
    repository = LabRepository(db)
    variations = LabVariations(repository=repository, workflows=service, clock=utc_now)
    service.register_job_step(JobKind.VIDEO_VARIATIONS, variations.execute_job)
    return PromptLab(
        repository=repository,
        workflows=service,
        models=service.models,
        settings=service.settings,
        clock=utc_now,
        variations=variations,
    )


def build_review(
    db: Database, service: VideoWorkflowService, api: ApiServices, *, events: OutgoingWebhooks | None
) -> ReviewService:
    """Review links over this workflow service; wrong tokens are counted in the API's rate-limit storage."""
    ensure_review_indexes(db)
    settings = service.settings
    guard = TokenGuard(limiter=api.rate_limits.limiter, audit=api.audit, limit=settings.REVIEW_TOKEN_FAILURES_PER_IP)
    return ReviewService(
        repository=ReviewRepository(db),
        workflows=service,
        guard=guard,
        audit=api.audit,
        settings=settings,
        clock=utc_now,
        events=events,
    )


def build_media_links(settings: Settings, media: MediaStore) -> SignedMedia:
    """Signed media URLs under MEDIA_URL_SIGNING_KEY (a kept development key without)."""
    configured = settings.MEDIA_URL_SIGNING_KEY
    secret = (
        configured.get_secret_value().encode()
        if configured
        else kept_secret(settings.DATA_DIR / "media-url-signing.key", lambda: os.urandom(32))
    )
    return SignedMedia(MediaUrlSigner(secret, ttl_seconds=settings.MEDIA_URL_TTL_SECONDS), media)


def build_dispatcher(settings: Settings, handlers: JobHandlers) -> JobDispatcher | None:
    """None for inline jobs; the in-process worker pool for embedded mode; the Redis queue for scale-out."""
    if settings.JOB_BACKEND == "inline":
        return None
    if settings.JOB_BACKEND == "embedded":
        return EmbeddedWorkerPool(
            handlers.runner,
            execute=handlers.execute,
            fail_abandoned=handlers.fail_abandoned,
            threads=settings.JOB_WORKER_THREADS,
            poll_seconds=settings.RECONCILE_INTERVAL_SECONDS,
        )
    from services.jobs.queue import RedisJobQueue  # imported only in scale-out mode

    return RedisJobQueue(settings)


def bootstrap(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    models: ModelRegistry | Callable[[Database], ModelRegistry] | None = None,
    service: VideoWorkflowService | None = None,
    vault: ProviderKeyVault | None = None,
    callbacks: OutgoingWebhooks | None = None,
    rate_limit_storage: Storage | None = None,
    wall_clock: Callable[[], float] = time.time,
    bcrypt_rounds: int | None = None,
    check_models: bool = True,
    inline_jobs: bool = False,
    prompt_cache: bool = True,
) -> Runtime:
    """Connect (or start) the database, ensure indexes and build every service: the one composition root.

    The keyword arguments replace one part each, for tests, benchmarks and test workers: a database already
    connected, a model registry (or a function of the database that builds one), a prebuilt workflow service,
    the key vault, the callback sender, the rate-limit storage and its clock, cheaper password hashing, no
    background model checks, jobs run inside the request whatever JOB_BACKEND says, and no prompt cache.
    """
    settings = settings or (service.settings if service is not None else load_settings())
    metrics.check_multiprocess_setting(settings.PROMETHEUS_MULTIPROC_DIR)
    embedded = None
    if db is None:
        client, embedded = connect(settings)
        db = client[settings.MONGODB_DATABASE]
    for ensure in (ensure_indexes, ensure_user_indexes, ensure_job_indexes, ensure_campaign_indexes):
        ensure(db)
    migrate_frames_from_zero(db)  # idempotent: workflows stored when frames were numbered from 1
    repair_repeated_frame_versions(db)  # once: versions numbered twice by a regeneration after a restore
    api = build_api_services(settings, db, clock=utc_now, rate_limit_storage=rate_limit_storage, wall_clock=wall_clock)
    callbacks = callbacks or build_outgoing_webhooks(settings, db)
    campaigns = CampaignService(db, clock=utc_now)
    if vault is None and settings.PROVIDER_KEY_MASTER_KEYS is not None:
        vault = build_vault(settings.PROVIDER_KEY_MASTER_KEYS.get_secret_value(), db, clock=utc_now)
    if service is None:
        media = build_media_store(settings, db)
        media_links = build_media_links(settings, media)
        registry = models(db) if callable(models) else models
        service = VideoWorkflowService(
            repository=MongoWorkflowRepository(db),
            media=media,
            models=registry or build_model_registry(settings, vault=vault, media_links=media_links),
            jobs=build_job_runner(db, settings),
            settings=settings,
            prompt_cache=build_prompt_cache(
                db, ttl_seconds=settings.PROMPT_CACHE_TTL_SECONDS, shared=settings.PROMPT_CACHE_SHARED, clock=utc_now
            )
            if prompt_cache
            else None,
            campaigns=campaigns,
            limits=api.rate_limits,  # one policy and one set of counters for the pages and the API
            dispatch=None if inline_jobs else functools.partial(build_dispatcher, settings),
            events=callbacks,
        )
    else:
        media_links = build_media_links(settings, service.media)
    users = UserService(db, clock=utc_now, bcrypt_rounds=bcrypt_rounds or settings.BCRYPT_ROUNDS)
    AdminRoles(users, api.audit).bootstrap(settings.admin_usernames)
    return Runtime(
        settings=settings,
        client=db.client,
        db=db,
        media=service.media,
        models=service.models,
        service=service,
        users=users,
        campaigns=service.campaigns or campaigns,
        api=api,
        analytics=AnalyticsService(db, users=users),
        provider_status=ProviderStatus(service.models, settings),
        callbacks=callbacks,
        lab=build_lab(db, service),
        review=build_review(db, service, api, events=callbacks),
        media_links=media_links,
        embedded=embedded,
        supervisor=supervise(embedded),
        vault=vault,
        webhooks=build_webhook_inbox(settings, db, jobs=service.jobs.store, media=service.media),
        check_models=check_models,
    )


_lock = threading.Lock()
_current: Runtime | None = None


def get_runtime() -> Runtime:
    """The process's runtime, started on first use (the ASGI lifespan starts it eagerly)."""
    global _current
    with _lock:
        if _current is None:
            _current = bootstrap()
            _current.start_background()
        return _current


def install_runtime(runtime: Runtime | None) -> None:
    """Use this runtime for the process (tests install one on a temporary database)."""
    global _current
    with _lock:
        _current = runtime


def shutdown_runtime() -> None:
    """Close the process's runtime, if one was started."""
    global _current
    with _lock:
        if _current is not None:
            _current.close()
            _current = None
