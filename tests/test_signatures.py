import pytest

from burki_sip.parsers import webhook_secrets
from burki_sip.signatures import SignatureError, decode_secret, verify
from security_support import (OTHER_SECRET, VECTOR_BODY, VECTOR_ID, VECTOR_SECRET,
                              VECTOR_SIGNATURE, VECTOR_TIMESTAMP, sign, signed_headers)

VECTOR_HEADERS = {"webhook-id": VECTOR_ID, "webhook-timestamp": str(VECTOR_TIMESTAMP),
                  "webhook-signature": VECTOR_SIGNATURE}


def test_the_published_test_vector_signs_exactly():
    assert sign(decode_secret(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP,
                VECTOR_BODY) == VECTOR_SIGNATURE


def test_the_published_test_vector_verifies_at_its_own_time():
    verify(webhook_secrets(VECTOR_SECRET), VECTOR_HEADERS, VECTOR_BODY, now=VECTOR_TIMESTAMP)


def test_the_prefix_is_optional_as_in_the_reference_code():
    assert decode_secret(VECTOR_SECRET) == decode_secret(VECTOR_SECRET.removeprefix("whsec_"))


@pytest.mark.parametrize(("change", "reason"), [
    ({"webhook-id": None}, "headers missing: webhook-id"),
    ({"webhook-timestamp": None, "webhook-signature": None},
     "headers missing: webhook-timestamp, webhook-signature"),
    ({"webhook-timestamp": "hello"}, "must be an integer Unix time"),
    ({"webhook-timestamp": "1614265330.5"}, "must be an integer Unix time"),
    ({"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}, "does not match"),
    ({"webhook-signature": "v2," + VECTOR_SIGNATURE[3:]}, "does not match"),
    ({"webhook-signature": "v1,not base64!"}, "does not match"),
    ({"webhook-id": "msg_other"}, "does not match"),
])
def test_a_wrong_or_incomplete_header_is_refused_saying_why(change, reason):
    headers = {name: value for name, value in {**VECTOR_HEADERS, **change}.items() if value}
    with pytest.raises(SignatureError, match=reason):
        verify(webhook_secrets(VECTOR_SECRET), headers, VECTOR_BODY, now=VECTOR_TIMESTAMP)


def test_a_changed_body_does_not_verify():
    with pytest.raises(SignatureError, match="does not match"):
        verify(webhook_secrets(VECTOR_SECRET), VECTOR_HEADERS, b'{"test": 2432232315}',
               now=VECTOR_TIMESTAMP)


@pytest.mark.parametrize("age", [-301, -300, 0, 300, 301])
def test_timestamps_within_300_seconds_pass_and_beyond_are_refused(age):
    headers = signed_headers(b"{}", timestamp=1_700_000_000)
    now = 1_700_000_000 + age  # the message is `age` seconds old (negative: from the future)
    if abs(age) <= 300:
        verify(webhook_secrets(VECTOR_SECRET), headers, b"{}", now=now)
        return
    expected = "too old" if age > 0 else "in the future"
    with pytest.raises(SignatureError, match=expected):
        verify(webhook_secrets(VECTOR_SECRET), headers, b"{}", now=now)


def test_any_signature_of_the_list_may_match_other_versions_are_skipped():
    header = f"v1a,c29tZXRoaW5n v1,bm9wZQ== v1,garbage {VECTOR_SIGNATURE}"
    verify(webhook_secrets(VECTOR_SECRET), {**VECTOR_HEADERS, "webhook-signature": header},
           VECTOR_BODY, now=VECTOR_TIMESTAMP)


def test_during_a_rotation_either_secret_verifies():
    secrets = webhook_secrets(f"{OTHER_SECRET}, {VECTOR_SECRET}")
    verify(secrets, VECTOR_HEADERS, VECTOR_BODY, now=VECTOR_TIMESTAMP)
    headers = signed_headers(b"{}", secret=OTHER_SECRET, timestamp=VECTOR_TIMESTAMP)
    verify(secrets, headers, b"{}", now=VECTOR_TIMESTAMP)
    with pytest.raises(SignatureError):
        verify(webhook_secrets(VECTOR_SECRET), headers, b"{}", now=VECTOR_TIMESTAMP)


def test_secrets_are_separated_by_commas_or_spaces():
    assert len(webhook_secrets(f"{VECTOR_SECRET} {OTHER_SECRET}")) == 2
    assert len(webhook_secrets(f"{VECTOR_SECRET},{OTHER_SECRET},")) == 2


@pytest.mark.parametrize(("secret", "reason"), [
    ("whsec_not*base64", "base64"),
    ("whsec_c2hvcnQ=", "at least 24 bytes"),
])
def test_a_bad_secret_is_refused(secret, reason):
    with pytest.raises(ValueError, match=reason):
        webhook_secrets(secret)
