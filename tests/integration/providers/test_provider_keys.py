"""Users' own provider keys: envelope encryption bound to the owner, audited decrypts, rotation, no leaks."""

from __future__ import annotations

import json

import pytest
from bson import json_util

from services.core.clock import utc_now
from services.core.errors import ConfigurationError, ProviderError
from services.providers.keys import (
    AUDIT_LOG,
    PROVIDER_KEYS,
    MasterKeys,
    ProviderKeyVault,
    new_master_key,
)
from services.providers.registry import ModelRole
from services.providers.wiring import build_registry
from tests.support.providers import (
    Recorder,
    a_refinement_request,
    chat_completion,
    provider_settings,
    transports,
)

OLD, NEW = new_master_key(), new_master_key()


def vault(db, keys: str) -> ProviderKeyVault:
    return ProviderKeyVault(db, MasterKeys.parse(keys), clock=utc_now)


def test_a_thousand_keys_survive_rotation_and_removal_of_the_old_master_key_even_after_an_interrupted_run(db):
    before = vault(db, f"k1:{OLD}")
    secrets = {f"user-{n}": f"r8_secret_{n:04d}_abcdefghijklmnop" for n in range(1000)}
    for user, secret in secrets.items():
        before.store(user_id=user, provider="replicate", api_key=secret)

    both = vault(db, f"k1:{OLD},k2:{NEW}")
    assert both.rotate(max_records=300) == 300  # killed part-way: both kinds of record still decrypt
    assert both.reveal(user_id="user-999", provider="replicate", purpose="test") == secrets["user-999"]
    assert both.rotate() == 700 and both.rotate() == 0  # the rerun finishes, a third run has nothing to do

    after = vault(db, f"k2:{NEW}")
    assert all(after.reveal(user_id=u, provider="replicate", purpose="test") == s for u, s in secrets.items())
    assert db[PROVIDER_KEYS].count_documents({"keyId": "k2"}) == 1000


def test_a_ciphertext_copied_to_another_users_record_fails_to_decrypt_and_is_audited(db):
    keys = vault(db, f"k1:{OLD}")
    keys.store(user_id="alice", provider="poe", api_key="poe-alice-secret")
    keys.store(user_id="mallory", provider="poe", api_key="poe-mallory-secret")
    alice = db[PROVIDER_KEYS].find_one({"_id": "alice:poe"})
    db[PROVIDER_KEYS].update_one(
        {"_id": "mallory:poe"}, {"$set": {"wrappedKey": alice["wrappedKey"], "ciphertext": alice["ciphertext"]}}
    )
    with pytest.raises(ProviderError, match="could not be decrypted") as raised:
        keys.reveal(user_id="mallory", provider="poe", purpose="poe generation")
    assert "secret" not in raised.value.message
    audit = db[AUDIT_LOG].find_one({"recordId": "mallory:poe", "purpose": "poe generation"})
    assert (audit["actor"], audit["keyId"], audit["outcome"]) == ("mallory", "k1", "failed")


def test_every_decrypt_writes_an_audit_record_without_the_secret(db):
    keys = vault(db, f"k1:{OLD}")
    keys.store(user_id="alice", provider="replicate", api_key="r8_alice_secret_value")
    assert keys.reveal(user_id="alice", provider="replicate", purpose="frame generation") == "r8_alice_secret_value"
    entries = list(db[AUDIT_LOG].find({"recordId": "alice:replicate"}, {"_id": 0, "at": 0}))
    assert {
        "kind": "provider_key",
        "actor": "alice",
        "purpose": "frame generation",
        "keyId": "k1",
        "recordId": "alice:replicate",
        "outcome": "ok",
    } in entries
    assert "r8_alice_secret_value" not in json.dumps(entries)


def test_a_users_own_key_takes_precedence_and_users_without_one_fall_back_to_offline(db, tmp_path):
    keys = vault(db, f"k1:{OLD}")
    keys.store(user_id="alice", provider="poe", api_key="poe-alice-own-key")
    poe = Recorder(chat_completion("refined with alice's key"))
    settings = provider_settings(tmp_path, POE_API_KEY=None, REPLICATE_API_KEY=None)
    registry = build_registry(settings, vault=keys, transports=transports(poe=poe))
    refiner = registry.refiner("gpt-4o")

    own = refiner.implementation.refine(a_refinement_request(user_id="alice"))
    fallback = refiner.implementation.refine(a_refinement_request(user_id="bob"))

    assert (own.provider, own.refined_prompt) == ("poe", "refined with alice's key")
    assert poe.requests[0].headers["authorization"] == "Bearer poe-alice-own-key"
    assert fallback.provider == "offline" and len(poe.requests) == 1
    assert registry.frame_generator("stable-diffusion-xl").provider_name == "replicate"
    assert registry.model_ids(ModelRole.VIDEO)[-1] == "offline-animatic"


def test_the_users_key_wins_over_the_global_one(db, tmp_path):
    keys = vault(db, f"k1:{OLD}")
    keys.store(user_id="alice", provider="poe", api_key="poe-alice-own-key")
    poe = Recorder(chat_completion("ok"))
    registry = build_registry(provider_settings(tmp_path), vault=keys, transports=transports(poe=poe))
    registry.refiner("gpt-4o").implementation.refine(a_refinement_request(user_id="alice"))
    registry.refiner("gpt-4o").implementation.refine(a_refinement_request(user_id="bob"))
    assert [r.headers["authorization"] for r in poe.requests] == ["Bearer poe-alice-own-key", "Bearer poe-test-key-123"]


def test_a_dump_of_every_collection_contains_no_plaintext_key(db):
    keys = vault(db, f"k1:{OLD}")
    secrets = [f"r8_dump_check_{n}_zyxwvutsrq" for n in range(20)]
    for n, secret in enumerate(secrets):
        keys.store(user_id=f"u{n}", provider="replicate", api_key=secret)
        keys.reveal(user_id=f"u{n}", provider="replicate", purpose="test")
    dump = "".join(json_util.dumps(list(db[name].find())) for name in db.list_collection_names())
    assert dump and not any(secret in dump for secret in secrets)
    assert "r8_dump_check" not in dump


def test_a_record_under_a_removed_master_key_says_how_to_recover(db):
    vault(db, f"k1:{OLD}").store(user_id="alice", provider="poe", api_key="poe-key")
    with pytest.raises(ConfigurationError, match="Master key 'k1' is not configured"):
        vault(db, f"k2:{NEW}").reveal(user_id="alice", provider="poe", purpose="test")


@pytest.mark.parametrize(
    "text", ["", "k1", "k1:notbase64!", f"k1:{OLD[:10]}"], ids=["empty", "no-key", "not-base64", "too-short"]
)
def test_malformed_master_keys_are_a_configuration_error_naming_the_variable(text):
    with pytest.raises(ConfigurationError, match="PROVIDER_KEY_MASTER_KEYS"):
        MasterKeys.parse(text)


def test_the_rotation_command_re_encrypts_under_the_newest_key_and_a_rerun_does_nothing(
    db, mongo_uri, monkeypatch, tmp_path, capsys
):
    from scripts.rotate_provider_keys import main

    vault(db, f"k1:{OLD}").store(user_id="alice", provider="poe", api_key="poe-alice-key")
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "MONGODB_URI": mongo_uri,
        "MONGODB_DATABASE": db.name,
        "PROVIDER_KEY_MASTER_KEYS": f"k1:{OLD},k2:{NEW}",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["rotate"]) == 0 and main(["rotate"]) == 0
    output = capsys.readouterr().out
    assert "Re-encrypted 1 provider key record(s) under master key 'k2'" in output
    assert "Re-encrypted 0" in output and OLD not in output and NEW not in output
    assert vault(db, f"k2:{NEW}").reveal(user_id="alice", provider="poe", purpose="test") == "poe-alice-key"
