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
        self._verified: dict[str, tuple[str, str, float]] = {}

    def issue(self, user_id: str) -> str:
        """A signed access token for this user."""
        now = self.clock()
        claims = {
            "sub": user_id,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "iss": self.issuer,
            "aud": self.audience,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self.current.secret, algorithm=ALGORITHM, headers={"kid": self.current.kid})

    def verify(self, token: str) -> str:
        """The user id (sub) of a valid token."""
        known = self._verified.get(token)
        if known is not None and known[1] in self.keys and time.time() < known[2]:  # jwt.decode's clock
            return known[0]
        subject, kid, expires = self._decode(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (subject, kid, expires)
        return subject

    def _decode(self, token: str) -> tuple[str, str, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("The access token is malformed.") from None
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthenticationError("The access token was signed with an unknown key (kid).")
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
            raise AuthenticationError("The access token has expired; refresh it.") from None
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"The access token is invalid ({type(exc).__name__}).") from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise AuthenticationError("The access token has no valid subject.")
        return subject, key.kid, float(claims["exp"])
