"""Accounts shared by the UI and the API."""

from __future__ import annotations

import pytest
from pymongo.database import Database

from services.accounts.users import UserService, ensure_user_indexes
from services.core.clock import utc_now
from services.core.errors import AuthenticationError, ValidationError


@pytest.fixture
def users(db: Database) -> UserService:
    ensure_user_indexes(db)
    return UserService(db, clock=utc_now, bcrypt_rounds=4)


def test_a_registered_user_signs_in_and_only_a_bcrypt_hash_is_stored(users: UserService, db: Database):
    user = users.register(username="Alice", password="correct horse", name="Alice")
    assert users.authenticate(username="alice", password="correct horse").id == user.id
    stored = db["users"].find_one({"_id": user.id})
    assert "correct horse" not in str(stored) and stored["passwordHash"].startswith("$2b$")


def test_a_wrong_password_and_an_unknown_user_get_the_same_message(users: UserService):
    users.register(username="bob", password="s3cret-pass", name="Bob")
    with pytest.raises(AuthenticationError, match="Wrong username or password") as wrong:
        users.authenticate(username="bob", password="nope-nope")
    with pytest.raises(AuthenticationError) as unknown:
        users.authenticate(username="nobody", password="nope-nope")
    assert str(wrong.value) == str(unknown.value)


def test_usernames_are_unique_and_passwords_have_a_minimum_length(users: UserService):
    users.register(username="carol", password="long enough", name="Carol")
    with pytest.raises(ValidationError, match="taken"):
        users.register(username="CAROL", password="long enough", name="Carol 2")
    with pytest.raises(ValidationError, match="at least 8"):
        users.register(username="dave", password="short", name="Dave")


def test_changing_the_password_needs_the_current_one(users: UserService):
    user = users.register(username="erin", password="first-password", name="Erin")
    with pytest.raises(AuthenticationError):
        users.change_password(user_id=user.id, current_password="wrong-one!", new_password="second-password")
    users.change_password(user_id=user.id, current_password="first-password", new_password="second-password")
    assert users.authenticate(username="erin", password="second-password").id == user.id
