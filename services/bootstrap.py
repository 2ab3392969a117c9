"""The one place that wires settings, database, media store, providers and the service together."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.accounts.admins import AdminRoles
from services.accounts.api_services import ApiServices, build_api_services
from services.accounts.users import UserService, ensure_user_indexes
from services.analytics.service import AnalyticsService
from services.core import metrics
from services.core.clock import utc_now
from services.core.kept_secrets import kept_secret
from services.core.settings import Settings, load_settings
from services.jobs.dispatch import EmbeddedWorkerPool, JobDispatcher, PeriodicReconciler
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
from services.storage.db_supervisor import DatabaseState, DatabaseSupervisor
from services.storage.embedded_db import EmbeddedDatabase
from services.storage.media_store import MediaStore
from services.storage.selection import build_media_store
from services.storage.signed_urls import MediaUrlSigner, SignedMedia
from services.webhooks.capture import PredictionOutputCapture
from services.webhooks.inbox import WebhookInbox
from services.webhooks.outgoing import OutgoingWebhooks, ensure_webhook_indexes
from services.workflows.campaigns import CampaignService, ensure_campaign_indexes
from services.workflows.migrations import migrate_frames_from_zero
from services.workflows.prompt_cache import build_prompt_cache
from services.workflows.repository import MongoWorkflowRepository, ensure_indexes
from services.workflows.service import VideoWorkflowService

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything one app process holds for its lifetime."""

    settings: Settings
    client: MongoClient
    db: Database
    media: MediaStore
    models: ModelRegistry
    service: VideoWorkflowService
    users: UserService
    embedded: EmbeddedDatabase | None = None
    vault: ProviderKeyVault | None = None  # users' own provider keys, when PROVIDER_KEY_MASTER_KEYS is set
    background: EmbeddedWorkerPool | PeriodicReconciler | None = None
    webhooks: WebhookInbox | None = None  # Replicate callbacks, when REPLICATE_WEBHOOK_SECRET is set
    callbacks: OutgoingWebhooks | None = None  # users' callback URLs
    deliverer: PeriodicReconciler | None = None
    campaigns: CampaignService | None = None
    api: ApiServices | None = None  # the REST API's tokens, keys, limits and idempotency
    analytics: AnalyticsService | None = None  # the Analytics page's figures
    provider_status: ProviderStatus | None = None  # Settings → Provider status, make doctor, the background check
    model_checker: PeriodicReconciler | None = None  # re-checks model availability every few hours (with keys)
    lab: PromptLab | None = None  # the Prompt Lab
    review: ReviewService | None = None  # stakeholder review links
    media_links: SignedMedia | None = None  # signed, expiring media URLs for browsers
    supervisor: DatabaseSupervisor | None = None  # restarts the embedded database this process started, if it dies
    _closed: bool = field(default=False, repr=False)

    def database_restarting(self) -> bool:
        """True while the supervisor restarts the embedded database (requests are refused at once meanwhile)."""
        return self.supervisor is not None and self.supervisor.state is DatabaseState.RESTARTING

    def sign_media_url(self, key: str, ttl: int | None = None) -> str:
        """A relative URL (/api/media/signed/...) serving key with no bearer token until it expires."""
        assert self.media_links is not None, "the runtime was built without signed media URLs"
        return self.media_links.url(key, ttl)

    def database_ok(self) -> bool:
        """True when the database answers a ping."""
        try:
            self.db.command("ping")
            return True
        except PyMongoError:
            return False

    def providers(self) -> ProviderStatus:
        """The provider status service (built on first use when the runtime was assembled by hand)."""
        if self.provider_status is None:
            self.provider_status = ProviderStatus(self.models, self.settings)
        return self.provider_status

    def readiness(self) -> dict[str, str]:
        """Each dependency this process needs to serve: the database, and Redis in scale-out mode."""
        if self.database_restarting():
            checks = {"database": "restarting"}
        else:
            checks = {"database": "ok" if self.database_ok() else "unreachable"}
        checks["mediaStore"] = self.media.health()  # a full or read-only disk is reported, not found by a failed job
        for name, url in redis_dependencies(self.settings).items():
            checks[name] = "ok" if redis_answers(url) else "unreachable"
        return checks

    def start_background(self) -> None:
        """Start this process's job workers (embedded mode) or its reconciler (inline mode), and the model check."""
        if self.supervisor is not None:
            self.supervisor.start()
        status = self.provider_status
        if self.model_checker is None and status is not None and status.has_keys():
            # At start-up and every few hours: a model found missing is disabled before anyone pays for it.
            self.model_checker = PeriodicReconciler(
                lambda: len(status.check_now()), interval=self.settings.MODEL_CHECK_INTERVAL_SECONDS
            )
            self.model_checker.start()
        if self.background is not None or self.settings.JOB_BACKEND == "redis":
            return  # redis mode: the Dramatiq workers run and reconcile the jobs
        if isinstance(self.service.dispatcher, EmbeddedWorkerPool):
            self.background = self.service.dispatcher
        else:
            self.background = PeriodicReconciler(self.service.reconcile, interval=self.settings.RECONCILE_INTERVAL_SECONDS)
        self.background.start()
        if self.callbacks is not None:
            self.deliverer = PeriodicReconciler(self.callbacks.deliver_due, interval=1.0)
            self.deliverer.start()

    def close(self) -> None:
        """Stop background work, close the client, and stop the embedded database if this process started it."""
        if self._closed:
            return
        self._closed = True
        if self.background is not None:
            self.background.stop()
        if self.deliverer is not None:
            self.deliverer.stop()
        if self.model_checker is not None:
            self.model_checker.stop()
        if self.supervisor is not None:
            self.supervisor.stop()  # before the server is stopped on purpose
        self.client.close()
        if self.embedded is not None:
            self.embedded.stop()


def redis_dependencies(settings: Settings) -> dict[str, str]:
    """The Redis servers scale-out mode relies on: the job queue and shared rate limits, by role."""
    needed = {}
    if settings.JOB_BACKEND == "redis" and settings.REDIS_URL is not None:
        needed["redis"] = settings.REDIS_URL.get_secret_value()
    limits_url = settings.RATE_LIMIT_STORAGE_URI
    if limits_url.startswith(("redis://", "rediss://")) and limits_url != needed.get("redis"):
        needed["rateLimitStorage"] = limits_url
    return needed


def redis_answers(url: str) -> bool:
    """True when the Redis server at url answers PING within two seconds."""
    import redis  # scale-out only

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


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
    http = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)
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
    service.extra_job_steps[JobKind.VIDEO_VARIATIONS] = variations.execute_job
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


def build_dispatcher(settings: Settings, service: VideoWorkflowService) -> JobDispatcher | None:
    """None for inline jobs; the in-process worker pool for embedded mode; the Redis queue for scale-out."""
    if settings.JOB_BACKEND == "inline":
        return None
    if settings.JOB_BACKEND == "embedded":
        return EmbeddedWorkerPool(
            service.jobs,
            execute=service.execute_job,
            fail_abandoned=service.fail_abandoned,
            threads=settings.JOB_WORKER_THREADS,
            poll_seconds=settings.RECONCILE_INTERVAL_SECONDS,
        )
    from services.jobs.queue import RedisJobQueue  # imported only in scale-out mode

    return RedisJobQueue(settings)


def supervise(embedded: EmbeddedDatabase | None) -> DatabaseSupervisor | None:
    """A supervisor for a database this process started; a server it only connected to is reported, not restarted."""
    if embedded is None or not embedded.owned:
        return None
    return DatabaseSupervisor(embedded, on_restart=metrics.embedded_db_restarted)


def connect(settings: Settings) -> tuple[MongoClient, EmbeddedDatabase | None]:
    """A client for MONGODB_URI, or for the embedded server (started here when none runs)."""
    embedded = None
    if settings.MONGODB_URI is not None:
        uri = settings.MONGODB_URI.get_secret_value()
    else:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedDatabase(
            storage_path=settings.embedded_db_dir.resolve(),
            host=settings.EMBEDDED_DB_HOST,
            port=settings.EMBEDDED_DB_PORT,
            log_path=settings.DATA_DIR / "embedded-db.log",
            start_timeout=settings.EMBEDDED_DB_START_TIMEOUT_SECONDS,
            cache_size=settings.EMBEDDED_DB_CACHE_SIZE,
        )
        uri = embedded.start()
    client: MongoClient = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    return client, embedded


def start_runtime(settings: Settings | None = None) -> Runtime:
    """Connect (or start) the database, ensure indexes and build the service."""
    settings = settings or load_settings()
    metrics.check_multiprocess_setting(settings.PROMETHEUS_MULTIPROC_DIR)
    client, embedded = connect(settings)
    db = client[settings.MONGODB_DATABASE]
    ensure_indexes(db)
    ensure_user_indexes(db)
    ensure_job_indexes(db)
    ensure_campaign_indexes(db)
    migrate_frames_from_zero(db)  # idempotent: workflows stored when frames were numbered from 1
    media = build_media_store(settings, db)
    master_keys = settings.PROVIDER_KEY_MASTER_KEYS
    vault = build_vault(master_keys.get_secret_value() if master_keys else None, db, clock=utc_now)
    media_links = build_media_links(settings, media)
    models = build_model_registry(settings, vault=vault, media_links=media_links)
    cache = build_prompt_cache(
        db, ttl_seconds=settings.PROMPT_CACHE_TTL_SECONDS, shared=settings.PROMPT_CACHE_SHARED, clock=utc_now
    )
    jobs = build_job_runner(db, settings)
    campaigns = CampaignService(db, clock=utc_now)
    api = build_api_services(settings, db, clock=utc_now)
    service = VideoWorkflowService(
        repository=MongoWorkflowRepository(db),
        media=media,
        models=models,
        jobs=jobs,
        settings=settings,
        prompt_cache=cache,
        campaigns=campaigns,
        limits=api.rate_limits,  # one policy and one set of counters for the pages and the API
    )
    service.dispatcher = build_dispatcher(settings, service)
    webhooks = build_webhook_inbox(settings, db, jobs=jobs.store, media=media)
    callbacks = build_outgoing_webhooks(settings, db)
    service.events = callbacks
    users = UserService(db, clock=utc_now, bcrypt_rounds=settings.BCRYPT_ROUNDS)
    AdminRoles(users, api.audit).bootstrap(settings.admin_usernames)
    return Runtime(
        settings=settings,
        client=client,
        db=db,
        media=media,
        models=models,
        service=service,
        users=users,
        embedded=embedded,
        supervisor=supervise(embedded),
        vault=vault,
        campaigns=campaigns,
        api=api,
        webhooks=webhooks,
        callbacks=callbacks,
        analytics=AnalyticsService(db, users=users),
        provider_status=ProviderStatus(models, settings),
        lab=build_lab(db, service),
        review=build_review(db, service, api, events=callbacks),
        media_links=media_links,
    )


_lock = threading.Lock()
_current: Runtime | None = None


def get_runtime() -> Runtime:
    """The process's runtime, started on first use (the ASGI lifespan starts it eagerly)."""
    global _current
    with _lock:
        if _current is None:
            _current = start_runtime()
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
