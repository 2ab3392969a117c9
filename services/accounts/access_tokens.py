"""Short-lived JWT access tokens: HS256 pinned, exp/iat/sub/iss/aud required, kid for key rotation."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jwt

from services.core.errors import AuthenticationError
from services.core.kept_secrets import kept_secret
from services.core.settings import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]
DEV_KEY_FILE = "jwt-signing-key"
VERIFIED_CACHE_SIZE = 10_000  # tokens remembered as verified; the whole memo is dropped when it fills


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: str


def signing_keys(settings: Settings) -> list[SigningKey]:
    """The configured keys, or in development one generated once and kept under DATA_DIR."""
    configured = [SigningKey(kid, secret) for kid, secret in settings.jwt_signing_keys]
    return configured or [_development_key(settings.DATA_DIR / DEV_KEY_FILE)]


def _development_key(path: Path) -> SigningKey:
    text = kept_secret(path, lambda: f"dev-{secrets.token_hex(4)}:{secrets.token_urlsafe(48)}".encode()).decode()
    kid, _, secret = text.strip().partition(":")
    return SigningKey(kid, secret)


class AccessTokens:
    """Issues and verifies access tokens; every verification failure is an AuthenticationError."""

    def __init__(
        self, *, keys: list[SigningKey], issuer: str, audience: str, ttl: timedelta, clock: Callable[[], datetime]
    ) -> None:
        if not keys:
            raise ValueError("at least one signing key is needed")
        self.keys = {key.kid: key for key in keys}
        self.current = keys[0]
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl
        self.clock = clock
        # token -> (user id, kid, exp): a token already verified is not decoded and HMAC-checked again on every
        # request (the profile of GET by id put PyJWT at about a tenth of the request). Expiry and the signing
        # key's presence are still checked on each use, so rotation and expiry behave as without the memo.
        self._verified: dict[str, tuple[str, int, str, float]] = {}

    def issue(self, user_id: str, *, version: int = 0) -> str:
        """A signed access token for this user at their current token version (bumped when they are revoked)."""
        now = self.clock()
        claims = {
            "sub": user_id,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "iss": self.issuer,
            "aud": self.audience,
            "jti": secrets.token_hex(8),
            "ver": version,
        }
        return jwt.encode(claims, self.current.secret, algorithm=ALGORITHM, headers={"kid": self.current.kid})

    def verify(self, token: str) -> str:
        """The user id (sub) of a valid token."""
        return self.verify_claims(token)[0]

    def verify_claims(self, token: str) -> tuple[str, int]:
        """The user id (sub) and token version (ver, 0 when absent) of a valid token."""
        known = self._verified.get(token)
        if known is not None and known[2] in self.keys and time.time() < known[3]:  # jwt.decode's clock
            return known[0], known[1]
        subject, version, kid, expires = self._decode(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (subject, version, kid, expires)
        return subject, version

    def _decode(self, token: str) -> tuple[str, int, str, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError(f"The access token is malformed. {SIGN_IN_AGAIN}") from None
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthenticationError(
                f"The access token was signed with a key this API does not know (kid). {SIGN_IN_AGAIN}"
            )
        try:
            claims = jwt.decode(
                token,
                key.secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS, "verify_sub": True},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("The access token has expired; refresh it (POST /api/auth/refresh).") from None
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"The access token is not valid: {_reason(exc)}. {SIGN_IN_AGAIN}") from None
        subject, version = claims["sub"], claims.get("ver", 0)
        if not isinstance(subject, str) or not subject:
            raise AuthenticationError(f"The access token has no valid subject. {SIGN_IN_AGAIN}")
        if not isinstance(version, int) or isinstance(version, bool):
            raise AuthenticationError(f"The access token has no valid version. {SIGN_IN_AGAIN}")
        return subject, version, key.kid, float(claims["exp"])


SIGN_IN_AGAIN = "Get a new one from POST /api/auth/token."
# What each library failure means for the caller, in words (never the library's class names).
_REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ImmatureSignatureError, "it is not valid yet (nbf or iat in the future)"),
    (jwt.InvalidIssuerError, "it was issued by someone else (iss)"),
    (jwt.InvalidAudienceError, "it is meant for another audience (aud)"),
    (jwt.MissingRequiredClaimError, "a required claim (exp, iat, sub, iss or aud) is missing"),
    (jwt.InvalidSignatureError, "its signature does not match"),
    (jwt.InvalidAlgorithmError, "it uses an algorithm this API does not accept"),
    (jwt.DecodeError, "it is malformed"),
]


def _reason(exc: Exception) -> str:
    return next((text for cls, text in _REASONS if isinstance(exc, cls)), "its claims are invalid")
