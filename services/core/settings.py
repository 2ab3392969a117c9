"""The one settings object, read from the environment (and `.env`) at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.core.client_address import Network, parse_proxies
from services.core.errors import ConfigurationError
from services.core.setting_checks import (
    check_heartbeat,
    check_jwt_secrets,
    check_key_length,
    check_mongodb_uri,
    check_ports,
    check_production_secrets,
    check_rate_limit,
    not_below,
    parse_jwt_keys,
)

ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "4:5", "21:9")


class Settings(BaseSettings):
    """Every variable the studio reads; names match the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    # Provider keys. With neither set, the offline providers serve every model id.
    POE_API_KEY: SecretStr | None = None
    REPLICATE_API_KEY: SecretStr | None = None

    # Model defaults per step (public model ids).
    DEFAULT_REFINEMENT_MODEL: str = "gpt-4o"
    DEFAULT_FRAME_MODEL: str = "stable-diffusion-xl"
    DEFAULT_VIDEO_MODEL: str = "veo-3"

    # Limits from the spec.
    MAX_REFINEMENT_ITERATIONS: int = Field(10, ge=1, le=100)
    MAX_FRAME_REGENERATIONS: int = Field(5, ge=0, le=100)
    MAX_VIDEO_DURATION: int = Field(60, ge=1, le=600)

    # Our own limits and knobs.
    DEFAULT_FRAME_COUNT: int = Field(3, ge=1, le=24)
    MAX_FRAME_COUNT: int = Field(8, ge=1, le=24)
    FRAME_GENERATION_CONCURRENCY: int = Field(4, ge=1, le=32)
    MIN_VIDEO_FPS: int = Field(12, ge=1, le=120)
    MAX_VIDEO_FPS: int = Field(60, ge=1, le=120)
    DEFAULT_VIDEO_FPS: int = Field(24, ge=1, le=120)
    MAX_TITLE_LENGTH: int = Field(200, ge=1, le=10_000)
    MAX_PROMPT_LENGTH: int = Field(4000, ge=1, le=100_000)
    MAX_NOTES_LENGTH: int = Field(2000, ge=1, le=100_000)
    PROCESSING_STALE_AFTER_SECONDS: int = Field(900, ge=10)

    # Durable generation jobs. inline: run inside the request; embedded: background worker threads
    # in the app process (the request returns at once); redis: Dramatiq workers fed through REDIS_URL.
    JOB_BACKEND: Literal["inline", "embedded", "redis"] = "embedded"
    JOB_WORKER_THREADS: int = Field(2, ge=1, le=64)
    REDIS_URL: SecretStr | None = None
    JOB_QUEUE_HEARTBEAT_TIMEOUT_SECONDS: float = Field(60.0, gt=0)  # a silent worker's messages are re-queued after this
    JOB_LEASE_SECONDS: float = Field(30.0, gt=0)
    JOB_HEARTBEAT_SECONDS: float = Field(5.0, gt=0)
    JOB_MAX_ATTEMPTS: int = Field(3, ge=1, le=20)
    RECONCILE_INTERVAL_SECONDS: float = Field(15.0, gt=0)

    # Persistence. With MONGODB_URI unset, an embedded SecantusDB server is started.
    MONGODB_URI: SecretStr | None = None
    MONGODB_DATABASE: str = "video_workflow_studio"
    DATA_DIR: Path = Path("./data")
    MEDIA_DIR: Path | None = None
    # files: under MEDIA_DIR (one host); gridfs: in MongoDB, shared by every host. Unset: gridfs when
    # MONGODB_URI is set or JOB_BACKEND=redis, files otherwise (see `media_store_kind`).
    MEDIA_STORE: Literal["files", "gridfs"] | None = None
    # Signed media URLs (the UI's images and player): HMAC key, and how long a URL lives. Unset key: a random
    # one kept in $DATA_DIR/media-url-signing.key (set one shared key when several app servers serve users).
    MEDIA_URL_SIGNING_KEY: SecretStr | None = None
    MEDIA_URL_TTL_SECONDS: int = Field(3600, ge=10, le=7 * 86_400)
    EMBEDDED_DB_HOST: str = "127.0.0.1"
    EMBEDDED_DB_PORT: int = Field(27018, ge=1, le=65535)
    EMBEDDED_DB_START_TIMEOUT_SECONDS: float = Field(30.0, gt=0)
    # The embedded server's WiredTiger cache (SecantusDB's --cache-size): its resident memory stays near this.
    EMBEDDED_DB_CACHE_SIZE: str = Field("256M", pattern=r"^[1-9][0-9]*[KMGT]$")

    # Real providers (issue 3): model configuration, outbound-call limits, cache, costs, user keys.
    MODEL_CONFIG_PATH: Path | None = None  # unset: services/providers/models.toml
    POE_BASE_URL: str = "https://api.poe.com/v1"
    REPLICATE_BASE_URL: str = "https://api.replicate.com"
    WEBHOOK_ALLOW_PRIVATE_TARGETS: bool = False  # True only for tests: callback URLs on loopback/private addresses
    WEBHOOK_MAX_ATTEMPTS: int = Field(6, ge=1, le=20)
    WEBHOOK_BACKOFF_SECONDS: float = Field(2.0, gt=0, le=3600)
    REPLICATE_WEBHOOK_SECRET: SecretStr | None = None  # whsec_...; set: /api/webhooks/replicate accepts callbacks
    PUBLIC_BASE_URL: str | None = None  # set: Replicate calls back at $PUBLIC_BASE_URL/api/webhooks/replicate
    PROVIDER_CONNECT_TIMEOUT_SECONDS: float = Field(5.0, gt=0, le=60)
    PROVIDER_READ_TIMEOUT_SECONDS: float = Field(60.0, gt=0, le=600)
    PROVIDER_MAX_ATTEMPTS: int = Field(4, ge=1, le=10)
    # Circuit breaker per provider model: this many transient failures in a row (timeouts, 5xx) open it, and calls
    # then fail fast for the cooldown before one probe is let through.
    CIRCUIT_BREAKER_FAILURES: int = Field(5, ge=1, le=100)
    CIRCUIT_BREAKER_COOLDOWN_SECONDS: float = Field(30.0, gt=0, le=3600)
    PROVIDER_BACKOFF_SECONDS: float = Field(0.5, ge=0, le=30)
    PROVIDER_MAX_RETRY_WAIT_SECONDS: float = Field(60.0, ge=0, le=600)
    PREDICTION_POLL_SECONDS: float = Field(2.0, gt=0, le=60)
    PREDICTION_DEADLINE_SECONDS: float = Field(900.0, gt=0, le=7200)
    # ".host": any subdomain. Poe's media bots answer with files on pfst.cf2.poecdn.net.
    MEDIA_ALLOWED_HOSTS: str = "replicate.delivery,.replicate.delivery,.poecdn.net"
    MEDIA_MAX_IMAGE_BYTES: int = Field(20 * 1024 * 1024, ge=1024)
    MEDIA_MAX_VIDEO_BYTES: int = Field(500 * 1024 * 1024, ge=1024)
    MEDIA_DOWNLOAD_TIMEOUT_SECONDS: float = Field(120.0, gt=0, le=3600)
    # Issue 18: model availability, Poe video bots, first frames sent as files, prices in Poe points.
    MODEL_CHECK_INTERVAL_SECONDS: float = Field(4 * 3600.0, ge=60)  # background availability check (with keys)
    MODEL_CHECK_ON_START: bool = True  # False: no check at start-up (the periodic one still runs)
    POE_VIDEO_TIMEOUT_SECONDS: float = Field(900.0, gt=0, le=3600)  # a Poe video bot answers when the video exists
    POE_USD_PER_POINT: float = Field(0.0, ge=0)  # your Poe plan's dollars per compute point; 0: points priced unknown
    INLINE_IMAGE_MAX_BYTES: int = Field(256 * 1024, ge=1024)  # larger first frames go to Replicate as files
    SIGNED_MEDIA_URL_SECONDS: int = Field(3600, ge=60, le=86_400)  # life of a signed first-frame URL
    PROMPT_CACHE_TTL_SECONDS: int = Field(7 * 24 * 3600, ge=0)  # 0 turns the cache off
    PROMPT_CACHE_SHARED: bool = False  # True: one cache for all users instead of one per user
    # "id1:base64key,id2:base64key" (32-byte keys); the last one listed encrypts, every one decrypts.
    PROVIDER_KEY_MASTER_KEYS: SecretStr | None = None
    # UI sign-in: how long a server-side session (and its HttpOnly cookie) lasts.
    UI_COOKIE_EXPIRY_DAYS: float = Field(7.0, ge=0, le=365)
    # Comma-separated usernames given the admin role at start-up (admins see everyone's analytics).
    ADMIN_USERNAMES: str = ""
    # REST API (see README "REST API"). Outside development, JWT_SIGNING_KEYS is required.
    ENVIRONMENT: Literal["development", "test", "production"] = "development"
    JWT_SIGNING_KEYS: SecretStr | None = None  # "kid:secret[,kid:secret...]"; the first signs, all verify
    JWT_ISSUER: str = "video-workflow-studio"
    JWT_AUDIENCE: str = "video-workflow-studio-api"
    ACCESS_TOKEN_TTL_SECONDS: int = Field(900, ge=30, le=86_400)
    REFRESH_TOKEN_TTL_SECONDS: int = Field(30 * 86_400, ge=60, le=365 * 86_400)
    REFRESH_TOKEN_REUSE_GRACE_SECONDS: float = Field(2.0, ge=0, le=60)
    RATE_LIMIT_STORAGE_URI: str = "memory://"
    RATE_LIMIT_REFINEMENT: str = "60/minute"
    RATE_LIMIT_FRAMES: str = "10/minute;100/day"
    RATE_LIMIT_VIDEO: str = "1/hour;10/day"
    RATE_LIMIT_PER_IP: str = "600/minute"
    RATE_LIMIT_LOGIN_PER_IP: str = "30/minute"
    RATE_LIMIT_API_KEYS: str = "20/day"  # API keys a user may create (revoking one gives nothing back)
    RATE_LIMIT_EXEMPT_KEYS: str = ""  # comma-separated API key ids or user ids
    RATE_LIMIT_TIERS: str = ""  # JSON: {"pro": {"frames": "30/minute;1000/day", "video": "5/hour"}}

    # Stakeholder review links.
    REVIEW_LINK_DEFAULT_DAYS: int = Field(7, ge=1, le=365)
    REVIEW_LINK_MAX_DAYS: int = Field(90, ge=1, le=365)
    REVIEW_TOKEN_FAILURES_PER_IP: str = "30/minute"  # wrong review tokens or passcodes per client IP before 429
    MAX_REQUEST_BODY_BYTES: int = Field(1_048_576, ge=1024, le=64 * 1_048_576)
    IDEMPOTENCY_TTL_SECONDS: int = Field(86_400, ge=60)

    # Observability (README "Monitoring"). PROMETHEUS_MULTIPROC_DIR is read by prometheus-client itself,
    # so it must be in the process environment (not only .env) of every app server and worker on the host.
    LOG_FORMAT: Literal["text", "json"] = "text"
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    PROMETHEUS_MULTIPROC_DIR: Path | None = None
    WORKER_METRICS_PORT: int | None = Field(None, ge=1, le=65535)  # set: a job worker serves /metrics on it
    METRICS_TOKEN: SecretStr | None = None  # set: GET /api/metrics needs Authorization: Bearer <token>

    # Security hardening (README "Security"): streams, revocation, sign-in throttling, sessions, audit, proxies.
    EVENT_STREAMS_PER_USER: int = Field(5, ge=1, le=1000)  # open /events streams per user (per process)
    EVENT_STREAM_MAX_SECONDS: float = Field(900.0, ge=1, le=86_400)  # then the client reconnects with Last-Event-ID
    EVENT_STREAM_POLL_SECONDS: float = Field(0.5, gt=0, le=60)
    AUTH_USER_CACHE_SECONDS: float = Field(2.0, ge=0, le=5)  # how long "this user exists and is enabled" is cached
    BCRYPT_ROUNDS: int = Field(12, ge=4, le=16)  # cost of new password hashes and of the unknown-user dummy check
    LOGIN_MAX_FAILURES: int = Field(5, ge=1, le=100)  # wrong passwords per username before it is locked
    LOGIN_LOCK_SECONDS: int = Field(900, ge=1, le=86_400)  # the failure window, and how long the lock lasts
    LOGIN_IP_BACKOFF_SECONDS: float = Field(1.0, ge=0, le=60)  # per-IP wait after a failure, doubling per failure
    RATE_LIMIT_SIGNUP_PER_IP: str = "10/hour"
    UI_COOKIE_SECURE: bool | None = None  # unset: Secure when PUBLIC_BASE_URL is https
    API_DOCS: bool | None = None  # unset: /api/docs on, except in production
    AUDIT_LOG_TTL_DAYS: int = Field(400, ge=1, le=36_500)
    WEBHOOK_ALLOWED_PORTS: str = ""  # comma-separated ports callback URLs may use besides 443
    TRUSTED_PROXIES: str = ""  # comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed
    SERVER_ADDRESS: str | None = None  # unset: the app listens on 127.0.0.1 only (put a proxy in front)

    @field_validator("MONGODB_URI")
    @classmethod
    def _uri_has_mongodb_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        return check_mongodb_uri(value)

    @field_validator("MEDIA_URL_SIGNING_KEY")
    @classmethod
    def _media_key_is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        return check_key_length(value)

    @field_validator("REVIEW_TOKEN_FAILURES_PER_IP")
    @classmethod
    def _review_limit_parses(cls, value: str) -> str:
        return check_rate_limit(value)

    @field_validator("REVIEW_LINK_MAX_DAYS")
    @classmethod
    def _review_default_within_max(cls, value: int, info) -> int:  # type: ignore[no-untyped-def]
        return not_below(value, info.data, "REVIEW_LINK_DEFAULT_DAYS")

    @field_validator("JOB_HEARTBEAT_SECONDS")
    @classmethod
    def _heartbeat_within_lease(cls, value: float, info) -> float:  # type: ignore[no-untyped-def]
        return check_heartbeat(value, info.data)

    @field_validator("MAX_VIDEO_FPS")
    @classmethod
    def _fps_range_is_ordered(cls, value: int, info) -> int:  # type: ignore[no-untyped-def]
        return not_below(value, info.data, "MIN_VIDEO_FPS")

    @field_validator("TRUSTED_PROXIES")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        parse_proxies(value)
        return value

    @field_validator("WEBHOOK_ALLOWED_PORTS")
    @classmethod
    def _ports_are_ports(cls, value: str) -> str:
        return check_ports(value)

    @model_validator(mode="after")
    def _jwt_keys_are_real_outside_development(self) -> Settings:
        if self.ENVIRONMENT == "development" and self.JWT_SIGNING_KEYS is None:
            return self  # a key is generated and kept under DATA_DIR so `make run` needs no configuration
        if self.JWT_SIGNING_KEYS is None:
            raise ValueError("JWT_SIGNING_KEYS is required outside development (kid:secret, 32+ random characters)")
        check_jwt_secrets(self.jwt_signing_keys)
        return self

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.ENVIRONMENT == "production":
            check_production_secrets(
                metrics_token=self.METRICS_TOKEN.get_secret_value() if self.METRICS_TOKEN else None,
                private_webhooks=self.WEBHOOK_ALLOW_PRIVATE_TARGETS,
                jwt_keys=self.jwt_signing_keys,
            )
        return self

    @property
    def jwt_signing_keys(self) -> list[tuple[str, str]]:
        """(kid, secret) pairs from JWT_SIGNING_KEYS; the first one signs new tokens."""
        return parse_jwt_keys(self.JWT_SIGNING_KEYS.get_secret_value()) if self.JWT_SIGNING_KEYS else []

    @property
    def admin_usernames(self) -> list[str]:
        """The usernames listed in ADMIN_USERNAMES, lower-cased as usernames are stored."""
        return [name.strip().lower() for name in self.ADMIN_USERNAMES.split(",") if name.strip()]

    @property
    def trusted_proxies(self) -> tuple[Network, ...]:
        """The TRUSTED_PROXIES ranges."""
        return parse_proxies(self.TRUSTED_PROXIES)

    @property
    def webhook_ports(self) -> frozenset[int]:
        """Ports callback URLs may use: 443 and WEBHOOK_ALLOWED_PORTS."""
        return frozenset({443} | {int(p) for p in self.WEBHOOK_ALLOWED_PORTS.split(",") if p.strip()})

    @property
    def ui_cookie_secure(self) -> bool:
        """Whether the sign-in cookie is Secure: UI_COOKIE_SECURE, else whether PUBLIC_BASE_URL is https."""
        if self.UI_COOKIE_SECURE is not None:
            return self.UI_COOKIE_SECURE
        return (self.PUBLIC_BASE_URL or "").lower().startswith("https://")

    @property
    def api_docs(self) -> bool:
        """Whether /api/docs is served: API_DOCS, else everywhere but production."""
        return self.API_DOCS if self.API_DOCS is not None else self.ENVIRONMENT != "production"

    @property
    def media_dir(self) -> Path:
        """Where the file media store keeps frames and videos."""
        return self.MEDIA_DIR or self.DATA_DIR / "media"

    @property
    def media_store_kind(self) -> Literal["files", "gridfs"]:
        """The media store in use: MEDIA_STORE, or GridFS whenever processes may be on several hosts."""
        if self.MEDIA_STORE is not None:
            return self.MEDIA_STORE
        return "gridfs" if self.MONGODB_URI is not None or self.JOB_BACKEND == "redis" else "files"

    @property
    def media_allowed_hosts(self) -> frozenset[str]:
        """Hosts provider media may be downloaded from."""
        return frozenset(h.strip().lower() for h in self.MEDIA_ALLOWED_HOSTS.split(",") if h.strip())

    @property
    def embedded_db_dir(self) -> Path:
        """The embedded database's WiredTiger home."""
        return self.DATA_DIR / "db"


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning a bad value into a message that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors())
        raise ConfigurationError(f"Invalid configuration: {problems}") from None
