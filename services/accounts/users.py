"""User accounts shared by the UI login and the REST API. Passwords are kept as bcrypt hashes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime

import bcrypt
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.accounts.revocation import CredentialRevocation
from services.core.errors import AuthenticationError, NotFoundError, ValidationError
from services.core.validation import clean_text
from services.workflows.domain import CamelModel

USERS = "users"
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores anything longer, so refuse it instead of truncating silently
# Real hashes to compare against when the user does not exist, one per cost, so timing does not reveal usernames.
_DUMMY_HASHES: dict[int, bytes] = {}


def _dummy_hash(rounds: int) -> bytes:
    if rounds not in _DUMMY_HASHES:
        _DUMMY_HASHES[rounds] = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(rounds=rounds))
    return _DUMMY_HASHES[rounds]


class UsernameTakenError(ValidationError):
    """Another account has this username."""

    code = "username_taken"


class User(CamelModel):
    id: str
    username: str
    name: str
    email: str = ""
    password_hash: str
    roles: list[str] = []
    created_at: datetime
    disabled: bool = False
    token_version: int = 0


def ensure_user_indexes(db: Database) -> None:
    """Usernames are unique."""
    db[USERS].create_indexes([IndexModel([("username", ASCENDING)], unique=True, name="username_unique")])


def _check_password(password: str) -> bytes:
    encoded = password.encode()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Password is too short: use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise ValidationError(f"Password is too long: at most {MAX_PASSWORD_BYTES} bytes.")
    return encoded


class UserService:
    """Sign-up, sign-in and password changes against the `users` collection."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime], bcrypt_rounds: int = 12) -> None:
        self.collection = db[USERS]
        self.clock = clock
        self.bcrypt_rounds = bcrypt_rounds
        self.revocation = CredentialRevocation(db, clock=clock)

    def register(self, *, username: str, password: str, name: str, email: str = "", roles: list[str] | None = None) -> User:
        """Create an account; the username is lower-cased and must be unique."""
        handle = (username or "").strip().lower()
        if not USERNAME_PATTERN.match(handle):
            raise ValidationError("Username must be 3–32 characters: letters, digits, '.', '_' or '-'.")
        secret = _check_password(password)
        user = User(
            id=uuid.uuid4().hex,
            username=handle,
            name=clean_text(name, field="Name", max_length=100, required=True),
            email=clean_text(email, field="Email", max_length=200, required=False),
            password_hash=bcrypt.hashpw(secret, bcrypt.gensalt(rounds=self.bcrypt_rounds)).decode(),
            roles=roles or [],
            created_at=self.clock(),
        )
        document = user.to_document()
        document["_id"] = document.pop("id")
        try:
            self.collection.insert_one(document)
        except DuplicateKeyError:
            raise UsernameTakenError(f"The username {handle!r} is taken. Choose another one.") from None
        return user

    def authenticate(self, *, username: str, password: str) -> User:
        """The user with these credentials, or AuthenticationError (same message for every failure)."""
        user = self.get_by_username(username)
        # An unknown name costs one bcrypt check at the configured cost too, so timing does not tell them apart.
        stored = user.password_hash.encode() if user else _dummy_hash(self.bcrypt_rounds)
        matches = bcrypt.checkpw(password.encode()[:MAX_PASSWORD_BYTES], stored)
        if user is None or not matches or user.disabled:
            raise AuthenticationError("Wrong username or password.")
        return user

    def get(self, user_id: str) -> User:
        """The user with this id, or NotFoundError."""
        document = self.collection.find_one({"_id": user_id})
        if document is None:
            raise NotFoundError("No such user.")
        return _user_from(document)

    def get_by_username(self, username: str) -> User | None:
        """The user with this username, if any."""
        document = self.collection.find_one({"username": (username or "").strip().lower()})
        return _user_from(document) if document else None

    def enabled_users(self, *, username: str | None = None) -> list[User]:
        """Users who may sign in (just this one when a username is given); the UI login checks against these."""
        query: dict = {"disabled": {"$ne": True}}
        if username is not None:
            query["username"] = username.strip().lower()
        return [_user_from(d) for d in self.collection.find(query)]

    def everyone(self) -> list[User]:
        """Every account, disabled ones included, by name."""
        return [_user_from(d) for d in self.collection.find({}).sort([("name", ASCENDING), ("username", ASCENDING)])]

    def set_role(self, *, username: str, role: str, granted: bool) -> User:
        """Add (granted) or remove a role on the user with this username; NotFoundError when there is none."""
        change = {"$addToSet": {"roles": role}} if granted else {"$pull": {"roles": role}}
        handle = (username or "").strip().lower()
        updated = self.collection.find_one_and_update({"username": handle}, change, return_document=ReturnDocument.AFTER)
        if updated is None:
            raise NotFoundError(f"No user {handle!r}. Create the account first (scripts/create_user.py or sign up).")
        return _user_from(updated)

    def change_password(self, *, user_id: str, current_password: str, new_password: str) -> None:
        """Replace the password after checking the current one."""
        user = self.get(user_id)
        self.authenticate(username=user.username, password=current_password)
        new_hash = bcrypt.hashpw(_check_password(new_password), bcrypt.gensalt(rounds=self.bcrypt_rounds)).decode()
        self.collection.update_one({"_id": user_id}, {"$set": {"passwordHash": new_hash}})
        self.revocation.revoke_all(user_id, reason="password_changed", actor=user_id)

    def set_disabled(self, *, username: str, disabled: bool, actor: str) -> User:
        """Disable (every credential is revoked at once) or re-enable the account with this username."""
        handle = (username or "").strip().lower()
        updated = self.collection.find_one_and_update(
            {"username": handle}, {"$set": {"disabled": disabled}}, return_document=ReturnDocument.AFTER
        )
        if updated is None:
            raise NotFoundError(f"No user {handle!r}.")
        user = _user_from(updated)
        if disabled:
            self.revocation.revoke_all(user.id, reason="disabled", actor=actor)
        else:
            self.revocation.audit.record("user_enabled", actor=actor, userId=user.id)
        return user

    def revoke_sessions(self, *, user_id: str, actor: str) -> None:
        """Sign the user out everywhere: UI sessions, refresh tokens, API keys and access tokens."""
        self.get(user_id)
        self.revocation.revoke_all(user_id, reason="signed_out_everywhere", actor=actor)

    def delete(self, *, username: str, actor: str) -> User:
        """Remove the account for good, revoking every credential first (its workflows stay)."""
        user = self.get_by_username(username)
        if user is None:
            raise NotFoundError(f"No user {(username or '').strip().lower()!r}.")
        self.revocation.revoke_all(user.id, reason="deleted", actor=actor)
        self.collection.delete_one({"_id": user.id})
        return user


def _user_from(document: dict) -> User:
    document = dict(document)
    document["id"] = document.pop("_id")
    return User.model_validate(document)
