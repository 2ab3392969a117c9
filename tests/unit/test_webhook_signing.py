"""Standard Webhooks signatures, checked against the published test vector."""

from __future__ import annotations

import pytest

from services.webhooks.signing import WebhookVerificationError, sign, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def headers(signature: str = SIGNATURE, timestamp: int = TIMESTAMP) -> dict[str, str]:
    return {"webhook-id": MESSAGE_ID, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_the_standard_webhooks_test_vector_signs_and_verifies():
    assert sign(secret=SECRET, message_id=MESSAGE_ID, timestamp=TIMESTAMP, body=BODY) == SIGNATURE
    verified = verify(secret=SECRET, headers=headers(), body=BODY, now=TIMESTAMP)
    assert (verified.message_id, verified.timestamp) == (MESSAGE_ID, TIMESTAMP)


def test_a_one_byte_change_in_the_body_is_rejected():
    with pytest.raises(WebhookVerificationError, match="No webhook signature matches"):
        verify(secret=SECRET, headers=headers(), body=b'{"test": 2432232315}', now=TIMESTAMP)


@pytest.mark.parametrize("offset", [301, -301])
def test_a_timestamp_301_seconds_away_is_rejected(offset: int):
    with pytest.raises(WebhookVerificationError, match="more than 300 s away"):
        verify(secret=SECRET, headers=headers(), body=BODY, now=TIMESTAMP + offset)


def test_one_valid_signature_among_several_is_enough_and_header_case_does_not_matter():
    mixed = {name.title(): value for name, value in headers(f"v1,bm90LXRoaXMtb25l {SIGNATURE}").items()}
    assert verify(secret=SECRET, headers=mixed, body=BODY, now=TIMESTAMP + 299).message_id == MESSAGE_ID


def test_missing_headers_are_rejected():
    with pytest.raises(WebhookVerificationError, match="Missing webhook-id"):
        verify(secret=SECRET, headers={"webhook-id": MESSAGE_ID}, body=BODY, now=TIMESTAMP)
