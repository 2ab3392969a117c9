"""Users' own Poe and Replicate keys, envelope-encrypted under master keys with ids, every decrypt audited."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

from services.core.errors import ConfigurationError, ProviderError, ValidationError

PROVIDER_KEYS = "provider_keys"
AUDIT_LOG = "audit_log"
PROVIDERS = ("poe", "replicate")
NONCE = 12
MAX_KEY_LENGTH = 500


@dataclass(frozen=True)
class MasterKeys:
    """Master keys by id, oldest first; the last one encrypts, every one can decrypt."""

    keys: dict[str, bytes]

    @classmethod
    def parse(cls, text: str) -> MasterKeys:
        """Read 'id1:base64key,id2:base64key' (each key 32 random bytes)."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key_id, _, encoded = item.partition(":")
            try:
                raw = base64.b64decode(encoded, validate=True)
            except ValueError:
                raw = b""
            if not key_id or len(raw) != 32:
                raise ConfigurationError("PROVIDER_KEY_MASTER_KEYS: each entry must be <id>:<base64 of 32 bytes>.")
            keys[key_id] = raw
        if not keys:
            raise ConfigurationError("PROVIDER_KEY_MASTER_KEYS: no master key given.")
        return cls(keys)

    @property
    def active_id(self) -> str:
        """The id new records and rotations are encrypted under."""
        return list(self.keys)[-1]


def new_master_key() -> str:
    """A fresh base64 master key for PROVIDER_KEY_MASTER_KEYS."""
    return base64.b64encode(os.urandom(32)).decode()


def ensure_key_indexes(db: Database) -> None:
    """Lookups by owner, and the audit trail by record and time."""
    db[PROVIDER_KEYS].create_indexes([IndexModel([("userId", ASCENDING)], name="userId")])
    db[AUDIT_LOG].create_indexes([IndexModel([("recordId", ASCENDING), ("at", ASCENDING)], name="recordId_at")])


def _record_id(user_id: str, provider: str) -> str:
    return f"{user_id}:{provider}"


def _dek_aad(record_id: str, key_id: str) -> bytes:
    return f"dek|{record_id}|{key_id}".encode()


def _secret_aad(user_id: str, provider: str) -> bytes:
    return f"secret|{user_id}|{provider}".encode()


class ProviderKeyVault:
    """Stores, reveals (audited) and rotates users' provider keys; the owner id is bound into both layers."""

    def __init__(self, db: Database, master: MasterKeys, *, clock: Callable[[], datetime]) -> None:
        self.records = db[PROVIDER_KEYS]
        self.audit = db[AUDIT_LOG]
        self.master = master
        self.clock = clock

    def store(self, *, user_id: str, provider: str, api_key: str) -> None:
        """Encrypt and save the user's key for provider (replacing an earlier one)."""
        if provider not in PROVIDERS:
            raise ValidationError(f"Unknown provider {provider!r}. Use one of: {', '.join(PROVIDERS)}.")
        secret = api_key.strip()
        if not secret or len(secret) > MAX_KEY_LENGTH or any(c.isspace() for c in secret):
            raise ValidationError(f"A {provider} key is one word of at most {MAX_KEY_LENGTH} characters.")
        record_id, key_id, dek = _record_id(user_id, provider), self.master.active_id, AESGCM.generate_key(256)
        now = self.clock()
        self.records.replace_one(
            {"_id": record_id},
            {
                "_id": record_id,
                "userId": user_id,
                "provider": provider,
                "keyId": key_id,
                "wrappedKey": self._wrap(dek, record_id, key_id),
                "ciphertext": _seal(dek, secret.encode(), _secret_aad(user_id, provider)),
                "createdAt": now,
                "updatedAt": now,
            },
            upsert=True,
        )
        self._audit(actor=user_id, purpose="store", key_id=key_id, record_id=record_id, outcome="stored")

    def has_key(self, *, user_id: str, provider: str) -> bool:
        """True when the user stored a key for provider (nothing is decrypted)."""
        return self.records.count_documents({"_id": _record_id(user_id, provider)}, limit=1) == 1

    def providers_of(self, user_id: str) -> list[str]:
        """The providers the user has a key for (never the keys)."""
        return sorted(doc["provider"] for doc in self.records.find({"userId": user_id}, {"provider": 1}))

    def delete(self, *, user_id: str, provider: str) -> None:
        """Forget the user's key for provider."""
        record_id = _record_id(user_id, provider)
        self.records.delete_one({"_id": record_id})
        self._audit(actor=user_id, purpose="delete", key_id=None, record_id=record_id, outcome="deleted")

    def reveal(self, *, user_id: str, provider: str, purpose: str) -> str | None:
        """The user's key for provider, or None if they have none; audited, and refused if tampered with."""
        record_id = _record_id(user_id, provider)
        record = self.records.find_one({"_id": record_id, "userId": user_id})
        if record is None:
            return None
        try:
            dek = self._unwrap(record, record_id)
            secret = _open(dek, record["ciphertext"], _secret_aad(user_id, provider)).decode()
        except (InvalidTag, KeyError, ValueError):
            self._audit(actor=user_id, purpose=purpose, key_id=record.get("keyId"), record_id=record_id, outcome="failed")
            raise ProviderError(
                f"Your stored {provider} key could not be decrypted; store it again.", provider=provider, retryable=False
            ) from None
        self._audit(actor=user_id, purpose=purpose, key_id=record["keyId"], record_id=record_id, outcome="ok")
        return secret

    def rotate(self, *, batch_size: int = 200, max_records: int | None = None) -> int:
        """Re-wrap every record not under the newest master key; safe to kill and rerun. Returns the count."""
        active, rotated = self.master.active_id, 0
        while max_records is None or rotated < max_records:
            size = batch_size if max_records is None else min(batch_size, max_records - rotated)
            batch = list(self.records.find({"keyId": {"$ne": active}}).limit(size))
            if not batch:
                return rotated
            audits = []
            for record in batch:
                dek = self._unwrap(record, record["_id"])
                # Conditional on the old wrapping, so a concurrent store or rerun is never overwritten.
                result = self.records.update_one(
                    {"_id": record["_id"], "keyId": record["keyId"], "wrappedKey": record["wrappedKey"]},
                    {
                        "$set": {
                            "keyId": active,
                            "wrappedKey": self._wrap(dek, record["_id"], active),
                            "updatedAt": self.clock(),
                        }
                    },
                )
                rotated += result.modified_count
                audits.append(
                    self._audit_entry(
                        actor="system:rotation",
                        purpose="rotate",
                        key_id=record["keyId"],
                        record_id=record["_id"],
                        outcome="rewrapped",
                    )
                )
            self.audit.insert_many(audits)
        return rotated

    def _wrap(self, dek: bytes, record_id: str, key_id: str) -> bytes:
        return _seal(self.master.keys[key_id], dek, _dek_aad(record_id, key_id))

    def _unwrap(self, record: dict, record_id: str) -> bytes:
        key_id = record["keyId"]
        if key_id not in self.master.keys:
            raise ConfigurationError(
                f"Master key {key_id!r} is not configured; add it back to "
                "PROVIDER_KEY_MASTER_KEYS and run the rotation command."
            )
        return _open(self.master.keys[key_id], record["wrappedKey"], _dek_aad(record_id, key_id))

    def _audit(self, *, actor: str, purpose: str, key_id: str | None, record_id: str, outcome: str) -> None:
        self.audit.insert_one(
            self._audit_entry(actor=actor, purpose=purpose, key_id=key_id, record_id=record_id, outcome=outcome)
        )

    def _audit_entry(self, *, actor: str, purpose: str, key_id: str | None, record_id: str, outcome: str) -> dict:
        return {
            "at": self.clock(),
            "kind": "provider_key",
            "actor": actor,
            "purpose": purpose,
            "keyId": key_id,
            "recordId": record_id,
            "outcome": outcome,
        }


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(bytes(sealed[:NONCE]), bytes(sealed[NONCE:]), aad)


def build_vault(master_keys: str | None, db: Database, *, clock: Callable[[], datetime]) -> ProviderKeyVault | None:
    """The vault when PROVIDER_KEY_MASTER_KEYS is set (users can then bring their own keys), else None."""
    if not master_keys:
        return None
    ensure_key_indexes(db)
    return ProviderKeyVault(db, MasterKeys.parse(master_keys), clock=clock)
