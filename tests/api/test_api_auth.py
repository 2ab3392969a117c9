"""Access tokens: each bad-token case of SECURITY.md gets 401 with WWW-Authenticate: Bearer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr

from tests.support.api_fixtures import ApiServer


def _claims(server: ApiServer, user_id: str, **changes: object) -> dict:
    now = datetime.now(UTC)
    claims = {
        "sub": user_id,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "iss": server.runtime.settings.JWT_ISSUER,
        "aud": server.runtime.settings.JWT_AUDIENCE,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(
    server: ApiServer, claims: dict, *, secret: str | None = None, kid: str | None = None, algorithm: str = "HS256"
) -> str:
    key = server.runtime.api.access_tokens.current
    return jwt.encode(claims, secret or key.secret, algorithm=algorithm, headers={"kid": kid or key.kid})


BAD_TOKENS: dict[str, Callable[[ApiServer, str], str | None]] = {
    "a missing header": lambda s, u: None,
    "a malformed token": lambda s, u: "not-a.jwt",
    "a bad signature": lambda s, u: _signed(s, _claims(s, u), secret="another-secret-that-is-long-enough-32b"),
    "alg none": lambda s, u: jwt.encode(
        _claims(s, u), None, algorithm="none", headers={"kid": s.runtime.api.access_tokens.current.kid}
    ),
    "a wrong algorithm": lambda s, u: _signed(s, _claims(s, u), algorithm="HS512"),
    "an expired token": lambda s, u: _signed(
        s, _claims(s, u, iat=datetime.now(UTC) - timedelta(hours=2), exp=datetime.now(UTC) - timedelta(hours=1))
    ),
    "nbf in the future": lambda s, u: _signed(s, _claims(s, u, nbf=datetime.now(UTC) + timedelta(hours=1))),
    "a wrong iss": lambda s, u: _signed(s, _claims(s, u, iss="https://evil.example")),
    "a wrong aud": lambda s, u: _signed(s, _claims(s, u, aud="another-api")),
    "no exp": lambda s, u: _signed(s, _claims(s, u, exp=None)),
    "a non-string sub": lambda s, u: _signed(s, _claims(s, 12345)),  # type: ignore[arg-type]
    "an unknown kid": lambda s, u: _signed(s, _claims(s, u), kid="retired-key"),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_a_bad_access_token_is_refused_with_401_and_a_bearer_challenge(api_server: ApiServer, case: str):
    user_id, tokens = api_server.sign_up()
    good = api_server.client(tokens["accessToken"]).get("/video-workflows")
    assert good.status_code == 200

    token = BAD_TOKENS[case](api_server, user_id)
    response = api_server.client(token).get("/video-workflows")

    assert response.status_code == 401, f"{case}: {response.text}"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "authentication_failed"


def test_a_token_with_only_the_required_claims_forged_by_hand_is_accepted(api_server: ApiServer):
    user_id, _ = api_server.sign_up()
    token = _signed(api_server, _claims(api_server, user_id))
    assert api_server.client(token).get("/video-workflows").status_code == 200


def test_keys_rotate_with_an_overlap_and_tokens_of_a_removed_key_are_refused(make_api_server):
    old, new = "old-key:" + "o" * 40, "new-key:" + "n" * 40
    before = make_api_server(JWT_SIGNING_KEYS=SecretStr(old))
    user_id, tokens = before.sign_up()
    old_token = tokens["accessToken"]
    assert jwt.get_unverified_header(old_token)["kid"] == "old-key"

    overlap = make_api_server(JWT_SIGNING_KEYS=SecretStr(f"{new},{old}"))
    assert overlap.client(old_token).get("/video-workflows").status_code == 200
    new_token = overlap.runtime.api.access_tokens.issue(user_id)
    assert jwt.get_unverified_header(new_token)["kid"] == "new-key"

    after = make_api_server(JWT_SIGNING_KEYS=SecretStr(new))
    assert after.client(old_token).get("/video-workflows").status_code == 401
    assert after.client(new_token).get("/video-workflows").status_code == 200


def test_a_wrong_password_gets_401_with_the_same_message_as_an_unknown_user(api_server: ApiServer):
    api_server.sign_up("dana")
    wrong = api_server.client().post("/auth/token", json={"username": "dana", "password": "not the password"})
    unknown = api_server.client().post("/auth/token", json={"username": "nobody", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_the_access_token_carries_the_user_id_and_the_configured_lifetime(make_api_server):
    server = make_api_server(ACCESS_TOKEN_TTL_SECONDS=120)
    user_id, tokens = server.sign_up()
    claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    assert claims["sub"] == user_id and claims["exp"] - claims["iat"] == 120 and tokens["expiresIn"] == 120
