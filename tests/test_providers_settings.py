"""The providers' settings: lists for rotation, keys and URLs checked at start-up, never echoed."""

import base64

import pytest

from burki_sip.config import check, defaults
from provider_signers import TELNYX_PUBLIC


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("TELNYX_PUBLIC_KEY", "not base64 at all!", "base64"),
    ("TELNYX_PUBLIC_KEY", base64.b64encode(b"short").decode(), "32 bytes"),
    ("SIP_BASIC_AUTH", "user-without-password", "user:password"),
    ("SIP_BASIC_AUTH", ":password-without-user", "name:secret"),
    ("TWILIO_AUTH_TOKEN", "to ken", "without spaces"),
    ("SIP_PUBLIC_URL", "api.burki.dev", "http:// or https://"),
    ("SIP_PUBLIC_URL", "https://api.burki.dev/?x=1", "query"),
    ("LIVEKIT_API_KEYS", "APIkey-without-secret", "key:secret"),
])
def test_bad_provider_settings_stop_the_start_naming_them_without_echoing(name, value, problem):
    with pytest.raises(ValueError) as caught:
        check({**defaults(), name: value})
    message = str(caught.value)
    assert name in message and problem in message
    if name not in ("SIP_PUBLIC_URL", "TELNYX_PUBLIC_KEY"):  # the secret ones
        assert value not in message


def test_provider_settings_parse_into_lists():
    config = {**defaults(), "TWILIO_AUTH_TOKEN": "a-token, b-token",
              "LIVEKIT_API_KEYS": "APIa:sa, APIb:sb",
              "TELNYX_PUBLIC_KEY": TELNYX_PUBLIC, "SIP_PUBLIC_URL": "https://api.burki.dev/"}
    check(config)
    assert config["TWILIO_AUTH_TOKEN"] == ("a-token", "b-token")
    assert config["LIVEKIT_API_KEYS"] == (("APIa", "sa"), ("APIb", "sb"))
    assert config["TELNYX_PUBLIC_KEY"] == (base64.b64decode(TELNYX_PUBLIC),)
    assert config["SIP_PUBLIC_URL"] == "https://api.burki.dev"
    check(config)  # checking again changes nothing
    assert config["TELNYX_PUBLIC_KEY"] == (base64.b64decode(TELNYX_PUBLIC),)
