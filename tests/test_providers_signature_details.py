"""Signature details per provider: Twilio's bodySHA256, the SDKs' own vectors and cross-checks,
rotations, Plivo's main-account header and signature lists, jambonz's several v1 entries."""

import base64

import pytest
import telnyx as telnyx_sdk
from livekit import api as livekit_api
from vonage_jwt.verify_jwt import verify_signature

from burki_sip.web.providers import plivo, signalwire
from provider_signers import (LIVEKIT_KEY, LIVEKIT_SECRET, PLIVO_TOKEN, PROVIDERS, TELNYX_PUBLIC,
                              VONAGE_SECRET, livekit_token, twilio_json_url, vonage_token)
from providers_support import fixture
from security_support import KEY
from test_providers_signatures import IDS, PUBLIC, client_for, send


def test_twilio_json_bodies_are_signed_with_their_sha256_in_the_url(fake_redis):
    client = client_for(fake_redis, {"TWILIO_AUTH_TOKEN": PROVIDERS[0].settings[
        "TWILIO_AUTH_TOKEN"]})
    body = b'{"call_sid": "sip-1", "status": "ringing"}'
    url = twilio_json_url(PUBLIC + "/sip-status", body)
    headers = PROVIDERS[0].sign(url, b"", "application/x-www-form-urlencoded")
    query = url.removeprefix(PUBLIC + "/sip-status")
    ok = client.post("/sip-status" + query, data=body, content_type="application/json",
                     headers=headers)
    assert ok.status_code == 200
    forged = client.post("/sip-status" + query, data=body.replace(b"ringing", b"completed"),
                         content_type="application/json", headers=headers)
    assert forged.status_code == 401 and "bodySHA256" in forged.get_json()["error"]


def test_signalwire_json_signature_matches_the_sdks_test_vector():
    # signalwire/tests/test_request_validator.py (PyPI signalwire 2.1.1)
    body = ('{"call":{"call_id":"b5d63b2e-f75b-4dc8-b6d4-269b635f96c0","node_id":"fa3570ae-f8bd-'
            '42c2-83f4-9950d906c91b@us-west","segment_id":"b5d63b2e-f75b-4dc8-b6d4-269b635f96c0",'
            '"call_state":"created","direction":"inbound","type":"phone","from":"+12135877632",'
            '"to":"+12089806814","from_number":"+12135877632","to_number":"+12089806814",'
            '"project_id":"4b7ae78a-d02e-4889-a63b-08b156d5916e","space_id":"62615f44-2a34-4235-'
            'b38b-76b5a1de6ef8"},"vars":{}}')
    assert signalwire.native_signature("PSK_7TruNcSNTxp4zNrykMj4EPzF",
                                       "https://81f2-2-45-18-191.ngrok-free.app/",
                                       body.encode()) == b"b18500437ebb010220ddd770cbe6fd531ea0ba0d"


def test_plivo_base_string_is_the_sdks():
    from plivo.utils.signature_v3 import construct_post_url
    for url, form in (("https://e.com/p?x=1&a=2", {"B": "2", "A": "1"}),
                      ("https://e.com/p", {"B": "2", "A": "1"}), ("https://e.com/p?x=1", {})):
        assert plivo.base_string(url, {k: [v] for k, v in form.items()}) == \
            construct_post_url(url, dict(form)).decode()


def test_the_sdks_accept_what_the_service_accepts(fake_redis):
    """Cross-checks: the verifying SDKs agree the test signatures are genuine."""
    _, body, _ = fixture("telnyx", "webhook-completed")
    headers = PROVIDERS[3].sign("", body, "application/json")
    client = telnyx_sdk.Telnyx(api_key="KEY_test", public_key=TELNYX_PUBLIC)
    assert client.webhooks.unwrap(body.decode(), headers=headers).data.event_type == "call.hangup"
    assert verify_signature(vonage_token(body), VONAGE_SECRET) is True
    receiver = livekit_api.WebhookReceiver(livekit_api.TokenVerifier(LIVEKIT_KEY, LIVEKIT_SECRET))
    _, lk_body, _ = fixture("livekit", "webhook-answered")
    assert receiver.receive(lk_body.decode(), livekit_token(lk_body)).event == "participant_joined"


def test_rotation_accepts_the_old_secret_and_the_bridge_key_still_works(fake_redis):
    token = PROVIDERS[0].settings["TWILIO_AUTH_TOKEN"]
    client = client_for(fake_redis, {"TWILIO_AUTH_TOKEN": f"new-token-0123456789abcdef,{token}",
                                     "SIP_INBOUND_API_KEYS": KEY})
    assert send(client, PROVIDERS[0]).status_code == 200
    keyed = client.post("/sip-status", json={"call_sid": "CA1", "status": "ringing"},
                        headers={"X-API-Key": KEY})
    assert keyed.status_code == 200


OTHER = "another-secret-during-rotation-0123456789"
ROTATED = {
    "TWILIO_AUTH_TOKEN": lambda value: f"{OTHER},{value}",
    "SIGNALWIRE_SIGNING_KEY": lambda value: f"{OTHER},{value}",
    "TELNYX_PUBLIC_KEY": lambda value: f"{base64.b64encode(bytes(32)).decode()},{value}",
    "JAMBONZ_WEBHOOK_SECRET": lambda value: f"{OTHER},{value}",
    "VONAGE_SIGNATURE_SECRET": lambda value: f"{OTHER},{value}",
    "PLIVO_AUTH_TOKEN": lambda value: f"{OTHER},{value}",
    "LIVEKIT_API_KEYS": lambda value: f"APIother:{OTHER},{value}",
}


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_during_a_rotation_either_secret_verifies(fake_redis, provider):
    settings = {name: ROTATED[name](value) for name, value in provider.settings.items()}
    assert send(client_for(fake_redis, settings), provider).status_code == 200


def test_plivo_main_account_header_and_signature_lists(fake_redis):
    client = client_for(fake_redis, {"PLIVO_AUTH_TOKEN": PLIVO_TOKEN})
    route, raw, content_type = fixture("plivo", "status-completed")
    headers = PROVIDERS[6].sign(PUBLIC + route, raw, content_type)
    signature = headers.pop("X-Plivo-Signature-V3")
    for extra in ({"X-Plivo-Signature-Ma-V3": signature},
                  {"X-Plivo-Signature-V3": f"bm90LWl0,{signature}"}):
        answer = client.post(route, data=raw, content_type=content_type,
                             headers={**headers, **extra})
        assert answer.status_code == 200


def test_jambonz_accepts_any_of_several_v1_signatures(fake_redis):
    client = client_for(fake_redis, {"JAMBONZ_WEBHOOK_SECRET": PROVIDERS[4].settings[
        "JAMBONZ_WEBHOOK_SECRET"]})
    route, raw, content_type = fixture("jambonz", "status-completed")
    header = PROVIDERS[4].sign("", raw, content_type)["Jambonz-Signature"]
    stamp, good = header.split(",")
    answer = client.post(route, data=raw, content_type=content_type,
                         headers={"Jambonz-Signature": f"{stamp},v1={'0' * 64},{good}"})
    assert answer.status_code == 200
