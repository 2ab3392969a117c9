"""The admin role: granted and revoked by command or bootstrapped from ADMIN_USERNAMES, and audited."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from pymongo.database import Database

from scripts.admins import main
from services.accounts.admins import ADMIN_ROLE, AdminRoles, is_admin
from services.accounts.audit import AuditLog
from services.accounts.users import UserService, ensure_user_indexes
from services.bootstrap import bootstrap
from services.core.clock import utc_now
from services.core.errors import NotFoundError
from services.core.settings import Settings


@pytest.fixture
def users(db: Database) -> UserService:
    ensure_user_indexes(db)
    return UserService(db, clock=utc_now, bcrypt_rounds=4)


@pytest.fixture
def roles(db: Database, users: UserService) -> AdminRoles:
    return AdminRoles(users, AuditLog(db, clock=utc_now))


def register(users: UserService, username: str):  # type: ignore[no-untyped-def]
    return users.register(username=username, password="long password", name=username.title())


def audit_events(db: Database) -> list[tuple[str, str, str]]:
    return [(e["event"], e["actor"], e["username"]) for e in db["audit_log"].find({}, sort=[("at", 1), ("_id", 1)])]


def test_granting_and_revoking_admin_changes_the_role_and_is_audited(db, users, roles):
    register(users, "maya")
    assert not is_admin(users.get_by_username("maya"))

    assert is_admin(roles.grant(username="Maya", actor="cli:ops"))
    assert is_admin(roles.grant(username="maya", actor="cli:ops"))  # twice is still one role
    assert users.get_by_username("maya").roles == [ADMIN_ROLE]
    assert [u.username for u in roles.admins()] == ["maya"]
    assert not is_admin(roles.revoke(username="maya", actor="cli:ops"))
    assert users.get_by_username("maya").roles == []
    assert audit_events(db) == [
        ("admin_granted", "cli:ops", "maya"),
        ("admin_granted", "cli:ops", "maya"),
        ("admin_revoked", "cli:ops", "maya"),
    ]


def test_a_disabled_admin_is_not_an_admin(users, roles):
    register(users, "maya")
    admin = roles.grant(username="maya", actor="test")
    assert not is_admin(admin.model_copy(update={"disabled": True}))


def test_granting_to_an_unknown_user_says_to_create_the_account(roles):
    with pytest.raises(NotFoundError, match="Create the account first"):
        roles.grant(username="ghost", actor="test")


def test_bootstrap_grants_listed_users_once_and_names_the_missing_ones(db, users, roles):
    register(users, "maya")
    assert roles.bootstrap(["maya", "ghost"]) == ["ghost"]
    assert roles.bootstrap(["maya"]) == []
    assert is_admin(users.get_by_username("maya"))
    assert audit_events(db) == [("admin_granted", "settings:ADMIN_USERNAMES", "maya")]


def test_an_account_registered_in_the_same_millisecond_the_name_is_first_listed_is_still_granted(db):
    """The database keeps times to the millisecond: an account that existed when the start began is granted."""
    instant = utc_now()
    users = UserService(db, clock=lambda: instant, bcrypt_rounds=4)
    ensure_user_indexes(db)
    register(users, "maya")
    roles = AdminRoles(users, AuditLog(db, clock=lambda: instant))
    assert roles.bootstrap(["maya"]) == []
    assert is_admin(users.get_by_username("maya"))
    assert roles.bootstrap(["maya"]) == [], "the next start, in the same millisecond too, still counts her as listed"


def test_a_listed_name_registered_after_it_was_first_seen_is_never_made_admin_by_the_setting(db, users, roles):
    assert roles.bootstrap(["zoe"]) == ["zoe"]  # listed before anyone has the name
    register(users, "zoe")  # a stranger signs up with it
    assert roles.bootstrap(["zoe"]) == ["zoe"], "the next start does not grant it"
    assert not is_admin(users.get_by_username("zoe"))
    roles.grant(username="zoe", actor="cli:operator")  # the command still can, on purpose
    assert is_admin(users.get_by_username("zoe"))


def test_admin_usernames_are_read_comma_separated_and_lower_cased(settings: Settings):
    assert settings.admin_usernames == []
    assert settings.model_copy(update={"ADMIN_USERNAMES": " Maya, root ,,"}).admin_usernames == ["maya", "root"]


def test_the_runtime_bootstraps_admins_from_the_settings_and_wires_analytics(db, users, settings, mongo_uri):
    register(users, "root")
    configured = settings.model_copy(
        update={"MONGODB_URI": SecretStr(mongo_uri), "MONGODB_DATABASE": db.name, "ADMIN_USERNAMES": "Root,ghost"}
    )
    runtime = bootstrap(configured)
    try:
        root = users.get_by_username("root")
        assert is_admin(root)
        assert runtime.analytics.can_see_everyone(viewer_id=root.id)
    finally:
        runtime.close()


def test_the_command_grants_revokes_and_lists_admins(db, users, mongo_uri, monkeypatch, capsys, tmp_path):
    register(users, "maya")
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("MONGODB_DATABASE", db.name)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))

    assert main(["grant", "maya", "--actor", "cli:test"]) == 0
    assert "maya: admin" in capsys.readouterr().out
    assert main(["list"]) == 0
    assert capsys.readouterr().out.strip() == "maya (Maya)"
    assert main(["revoke", "maya"]) == 0
    assert not is_admin(users.get_by_username("maya"))
    assert main(["grant", "ghost"]) == 1
    assert "No user 'ghost'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["grant"])
