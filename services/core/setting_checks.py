"""Checks of single settings: real secrets (JWT keys, entropy, production rules), rate limits, ports, order.

Each check raises ValueError with what to do, which the settings turn into a message naming the variable.
"""

from __future__ import annotations

import math
import string
from collections import Counter

from limits import parse_many
from pydantic import SecretStr

# Values that show a secret was copied from an example instead of generated.
_PLACEHOLDER_SECRETS = {"changeme", "changethis", "change-me", "secret", "password", "example", "placeholder", "xxx"}
MIN_JWT_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128
GENERATE = "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
_CHARACTER_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation)


def estimated_entropy_bits(secret: str) -> float:
    """A conservative guess at a secret's entropy: its length times the smaller of the bits per character its
    character classes allow and one more than its Shannon entropy per character ("a"*32 has none)."""
    if not secret:
        return 0.0
    pool = sum(len(chars) for chars in _CHARACTER_CLASSES if any(c in chars for c in secret))
    pool += len({c for c in secret if not any(c in chars for chars in _CHARACTER_CLASSES)})
    counts = Counter(secret)
    shannon = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return len(secret) * min(math.log2(max(pool, 2)), shannon + 1 if shannon > 0 else 0)


def parse_jwt_keys(value: str) -> list[tuple[str, str]]:
    """(kid, secret) pairs from `kid:secret[,kid:secret...]`."""
    pairs = []
    for entry in value.split(","):
        kid, separator, secret = entry.strip().partition(":")
        if not separator or not kid or not secret:
            raise ValueError("JWT_SIGNING_KEYS must look like kid:secret[,kid:secret...]")
        pairs.append((kid, secret))
    return pairs


def check_jwt_secrets(keys: list[tuple[str, str]]) -> None:
    """Refuse a placeholder or short JWT secret."""
    for kid, secret in keys:
        if secret.lower() in _PLACEHOLDER_SECRETS or len(secret) < MIN_JWT_SECRET_LENGTH:
            raise ValueError(
                f"JWT_SIGNING_KEYS: the secret of key {kid!r} is a placeholder or shorter "
                f"than {MIN_JWT_SECRET_LENGTH} characters; generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )


def check_production_secrets(*, metrics_token: str | None, private_webhooks: bool, jwt_keys: list[tuple[str, str]]) -> None:
    """Production refuses an open or guessable metrics token, private callback targets and weak JWT secrets."""
    problems = []
    if metrics_token is None:
        problems.append("METRICS_TOKEN is required in production (without it /api/metrics is open to anyone)")
    elif estimated_entropy_bits(metrics_token) < MIN_SECRET_BITS:
        problems.append(f"METRICS_TOKEN is too guessable (under {MIN_SECRET_BITS} bits); {GENERATE}")
    if private_webhooks:
        problems.append("WEBHOOK_ALLOW_PRIVATE_TARGETS=true is for tests only: it lets callbacks reach private networks")
    for kid, secret in jwt_keys:
        if estimated_entropy_bits(secret) < MIN_SECRET_BITS:
            problems.append(
                f"JWT_SIGNING_KEYS: the secret of key {kid!r} has under {MIN_SECRET_BITS} bits of entropy; {GENERATE}"
            )
    if problems:
        raise ValueError("; ".join(problems))


def check_rate_limit(value: str) -> str:
    """value, if it parses as a rate limit (30/minute;1000/day)."""
    try:
        if not parse_many(value):
            raise ValueError
    except ValueError:
        raise ValueError("must be a rate limit such as 30/minute") from None
    return value


def check_ports(value: str) -> str:
    """value, if every comma-separated part is a port number."""
    for part in (p.strip() for p in value.split(",")):
        if part and not (part.isdigit() and 1 <= int(part) <= 65535):
            raise ValueError(f"{part!r} is not a port number (1-65535)")
    return value


def not_below(value: int, fields: dict, other: str) -> int:
    """value, if it is at least the already-validated setting other."""
    minimum = fields.get(other)
    if minimum is not None and value < minimum:
        raise ValueError(f"must be at least {other} ({minimum})")
    return value


def check_mongodb_uri(value: SecretStr | None) -> SecretStr | None:
    if value is not None and not value.get_secret_value().startswith(("mongodb://", "mongodb+srv://")):
        raise ValueError("must start with mongodb:// or mongodb+srv://")
    return value


def check_key_length(value: SecretStr | None) -> SecretStr | None:
    if value is not None and len(value.get_secret_value()) < MIN_JWT_SECRET_LENGTH:
        raise ValueError(f"must be at least {MIN_JWT_SECRET_LENGTH} random characters")
    return value


def check_heartbeat(value: float, fields: dict) -> float:
    lease = fields.get("JOB_LEASE_SECONDS")
    if lease is not None and value * 2 > lease:
        raise ValueError(f"must be at most half of JOB_LEASE_SECONDS ({lease}), so one missed beat is survivable")
    return value
