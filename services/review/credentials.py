"""Review link tokens and passcodes: random tokens stored as SHA-256, passcodes as scrypt checked at a fixed cost."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from services.accounts.secret_tokens import hash_secret

TOKEN_PREFIX = "vwsr_"
TOKEN_BYTES = 32  # 256 bits of randomness (the issue asks for at least 128)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # about 16 MiB and tens of milliseconds per check
_DUMMY_SALT = b"\x00" * 16


def new_token() -> str:
    """A fresh link token; only hash_token(token) is ever stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token (SHA-256 is enough: the token is 256 random bits)."""
    return hash_secret(token)


def hash_passcode(passcode: str) -> str:
    """scrypt with a fresh salt, encoded with its parameters."""
    salt = os.urandom(16)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(_derive(passcode, salt, SCRYPT_N))}"


def passcode_matches(passcode: str | None, stored: str | None) -> bool:
    """True when passcode matches; always one scrypt and one constant-time compare, whatever the inputs."""
    if stored is None:
        _derive(passcode or "", _DUMMY_SALT, SCRYPT_N)  # the same work as a real check, so timing tells nothing
        return False
    _, n, _r, _p, salt, expected = stored.split("$")
    derived = _derive(passcode or "", _unb64(salt), int(n))
    return hmac.compare_digest(derived, _unb64(expected)) and passcode is not None


def _derive(passcode: str, salt: bytes, n: int) -> bytes:
    return hashlib.scrypt(passcode.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
