"""Runtime: everything one app process holds for its lifetime, built by services.bootstrap.bootstrap."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.accounts.api_services import ApiServices
from services.accounts.users import UserService
from services.analytics.service import AnalyticsService
from services.core.settings import Settings
from services.jobs.dispatch import EmbeddedWorkerPool, PeriodicReconciler
from services.lab.service import PromptLab
from services.providers.keys import ProviderKeyVault
from services.providers.registry import ModelRegistry
from services.providers.status import ProviderStatus
from services.review.service import ReviewService
from services.storage.db_supervisor import DatabaseState, DatabaseSupervisor
from services.storage.embedded_db import EmbeddedDatabase
from services.storage.media_store import MediaStore
from services.storage.signed_urls import SignedMedia
from services.studio.service import VideoWorkflowService
from services.webhooks.inbox import WebhookInbox
from services.webhooks.outgoing import OutgoingWebhooks
from services.workflows.campaigns import CampaignService

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
    campaigns: CampaignService
    api: ApiServices  # the REST API's tokens, keys, limits and idempotency
    analytics: AnalyticsService  # the Analytics page's figures
    provider_status: ProviderStatus  # Settings → Provider status, make doctor, the background check
    callbacks: OutgoingWebhooks  # users' callback URLs
    lab: PromptLab  # the Prompt Lab
    review: ReviewService  # stakeholder review links
    media_links: SignedMedia  # signed, expiring media URLs for browsers
    # Parts that exist only in some configurations (None is the configuration, not a missing wire):
    embedded: EmbeddedDatabase | None  # the SecantusDB server, when no MONGODB_URI is set
    supervisor: DatabaseSupervisor | None  # restarts the embedded database this process started, if it dies
    vault: ProviderKeyVault | None  # users' own provider keys, when PROVIDER_KEY_MASTER_KEYS is set
    webhooks: WebhookInbox | None  # Replicate callbacks, when REPLICATE_WEBHOOK_SECRET is set
    check_models: bool = True  # re-check model availability in the background (with keys)
    # Background work, started by start_background and stopped by close:
    background: EmbeddedWorkerPool | PeriodicReconciler | None = field(default=None, repr=False)
    deliverer: PeriodicReconciler | None = field(default=None, repr=False)
    model_checker: PeriodicReconciler | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    def database_restarting(self) -> bool:
        """True while the supervisor restarts the embedded database (requests are refused at once meanwhile)."""
        return self.supervisor is not None and self.supervisor.state is DatabaseState.RESTARTING

    def sign_media_url(self, key: str, ttl: int | None = None) -> str:
        """A relative URL (/api/media/signed/...) serving key with no bearer token until it expires."""
        return self.media_links.url(key, ttl)

    def database_ok(self) -> bool:
        """True when the database answers a ping."""
        try:
            self.db.command("ping")
            return True
        except PyMongoError:
            return False

    def providers(self) -> ProviderStatus:
        """The provider status service (Settings → Provider status, make doctor)."""
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
        if self.model_checker is None and self.check_models and status.has_keys():
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
        if self.deliverer is None:
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
