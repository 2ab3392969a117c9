"""Short-lived signed media URLs: HMAC-SHA256 over (key, expiry), so a browser loads media with no bearer token.

A URL opens exactly the key it was signed for, until its expiry; anything else is refused with `MediaLinkError`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import urlencode

from services.core.errors import MediaLinkError, NotFoundError, ValidationError
from services.storage.media_store import MediaStore, StoredMedia, is_media_key

SIGNED_MEDIA_PATH = "/api/media/signed"
MAX_TTL_SECONDS = 7 * 86_400
_DOMAIN = b"vws-media-url-v1"  # keeps these signatures apart from any other use of the same key


class MediaUrlSigner:
    """Signs and checks (key, expiry) pairs with one secret."""

    def __init__(self, secret: bytes, *, ttl_seconds: int = 3600, now: Callable[[], float] = time.time) -> None:
        if len(secret) < 32:
            raise ValueError("the media URL signing key must be at least 32 bytes")
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self.now = now

    def expiry(self, ttl: int | None = None) -> int:
        """The expiry (Unix seconds) of a URL signed now: at most ttl away, rounded so reruns reuse one URL."""
        ttl = self.ttl_seconds if ttl is None else ttl
        if not 1 <= ttl <= MAX_TTL_SECONDS:
            raise ValueError(f"a media URL lives 1 s to {MAX_TTL_SECONDS} s, not {ttl}")
        step = ttl // 10  # the same URL for a tenth of its lifetime: the browser's cache keeps working across reruns
        horizon = int(self.now()) + ttl
        return horizon - horizon % step if step else horizon

    def signature(self, key: str, expires: int) -> str:
        """The URL-safe signature of key until expires."""
        message = b"\x00".join([_DOMAIN, key.encode(), str(expires).encode()])
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, key: str, ttl: int | None = None) -> str:
        """A relative URL (under /api) serving key until its expiry, with no other credential."""
        if not is_media_key(key):
            raise ValidationError(f"Not a media key: {key!r}.")
        expires = self.expiry(ttl)
        return f"{SIGNED_MEDIA_PATH}/{key}?{urlencode({'exp': expires, 'sig': self.signature(key, expires)})}"

    def verify(self, key: str, expires: str, signature: str) -> None:
        """Return when the signature is this key's and unexpired; MediaLinkError otherwise."""
        if not (expires.isascii() and expires.isdigit()) or len(expires) > 12:
            raise MediaLinkError("This media link is not valid.")
        if not hmac.compare_digest(self.signature(key, int(expires)).encode(), signature.encode()):
            raise MediaLinkError("This media link is not valid for this file.")
        if int(expires) <= self.now():
            raise MediaLinkError("This media link has expired; reload the page for a fresh one.")


class SignedMedia:
    """Signed URLs over one media store: make them, and open what one of them names."""

    def __init__(self, signer: MediaUrlSigner, media: MediaStore) -> None:
        self.signer = signer
        self.media = media

    def url(self, key: str, ttl: int | None = None) -> str:
        """A signed, expiring URL for key."""
        return self.signer.sign(key, ttl)

    def open(self, key: str, *, expires: str, signature: str) -> StoredMedia:
        """The media a signed URL names, after checking its signature and expiry."""
        if not is_media_key(key):
            raise NotFoundError("No such media.")
        self.signer.verify(key, expires, signature)
        return self.media.open(key)
