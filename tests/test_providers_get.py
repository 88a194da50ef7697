"""Callbacks sent with GET (jambonz's hooks, Vonage's answer and event webhooks; Twilio and Plivo
can too): the fields in the URL's query are detected, authenticated and recorded as the same
fields posted, and move the call the same way."""

import base64
import hashlib
from urllib.parse import parse_qsl

import jwt
import pytest
from flask import request
from vonage_jwt.verify_jwt import verify_signature

from burki_sip import create_app
from burki_sip.web import payload
from provider_signers import (JAMBONZ_SECRET, PLIVO_TOKEN, TWILIO_TOKEN, VONAGE_SECRET, WRONG,
                              jambonz, plivo, query_payload, twilio, vonage)
from providers_support import FORM, QUERY, fixture, last_entry, post
from security_support import snapshot
from test_providers_fixtures import JAMBONZ, PLIVO, TWILIO, VONAGE

PUBLIC = "https://api.burki.dev"

# (provider, the GET fixture, its call id, the call's status after it)
STEPS = [
    ("jambonz", "webhook-initiated", JAMBONZ, "initiated"),  # the call hook, sent with GET
    *[("jambonz", f"status-{step}", JAMBONZ, status) for step, status in (
        ("ringing", "ringing"), ("answered", "in-progress"), ("completed", "completed"),
        ("busy", "busy"), ("canceled", "canceled"))],
    ("vonage", "webhook-answer", VONAGE, "initiated"),  # the answer webhook's default method
    *[("vonage", f"status-{step}", VONAGE, status) for step, status in (
        ("ringing", "ringing"), ("answered", "in-progress"), ("completed", "completed"),
        ("busy", "busy"), ("no-answer", "no-answer"))],
    ("twilio", "status-completed", TWILIO, "completed"),
    ("plivo", "status-completed", PLIVO, "completed"),
]


@pytest.mark.parametrize(("provider", "name", "call_id", "status"), STEPS,
                         ids=[f"{p}:{n}" for p, n, _, _ in STEPS])
def test_each_documented_get_reaches_its_status(any_app, provider, name, call_id, status):
    client = any_app.test_client()
    answer = post(client, provider, f"{name}.query")
    assert answer.status_code == 200, answer.get_json()
    entry = last_entry(any_app, "status" if name.startswith("status-") else "webhook")
    _, raw, _ = fixture(provider, f"{name}.query")
    assert (entry["provider"], entry["call_sid"], entry["content_type"]) == (
        provider, call_id, FORM)
    assert entry["payload"] == dict(parse_qsl(raw.decode(), keep_blank_values=True))
    assert client.get(f"/sip-status/{call_id}").get_json()["status"] == status


def test_get_and_post_of_the_same_fields_record_the_same_call(any_app):
    client = any_app.test_client()
    post(client, "jambonz", "status-answered")  # POSTed JSON
    post(client, "jambonz", "status-completed.query")  # then the hook switched to GET
    state = client.get(f"/sip-status/{JAMBONZ}").get_json()
    assert (state["status"], state["sip_code"], state["duration"]) == ("completed", "200", "42")


def test_the_bridges_call_sid_in_the_url_wins_for_a_get_too(any_app):
    client = any_app.test_client()
    answer = post(client, "vonage", "status-answered.query", query="?call_sid=sip-1")
    assert answer.get_json()["call_sid"] == "sip-1"
    entry = last_entry(any_app, "status")
    assert (entry["call_sid"], entry["provider_call_id"]) == ("sip-1", VONAGE)


# The vector: this query, decoded by JavaScript's URLSearchParams and written by JSON.stringify
# (Node 20), is exactly this text; its SHA-256 is what Vonage puts in payload_hash.
VECTOR = ("to=447700900001&from=447700900000&uuid=aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
          "&conversation_uuid=CON-aaaaaaaa-bbbb-cccc-dddd-0123456789ab&status=answered"
          "&note=%C3%A9t%C3%A9+%22quoted%22%2Fslash%0Aline%E2%80%A8sep&empty=")
VECTOR_JSON = ('{"to":"447700900001","from":"447700900000",'
               '"uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab",'
               '"conversation_uuid":"CON-aaaaaaaa-bbbb-cccc-dddd-0123456789ab",'
               '"status":"answered","note":"été \\"quoted\\"/slash\\nline\u2028sep","empty":""}')
VECTOR_SHA256 = "99b49f382a05b619f5aa0fc382482ed459baca538b07d0024b646582192e71cd"


def test_a_gets_signed_text_is_the_json_javascript_writes(any_app):
    with any_app.test_request_context(f"/sip-status?{VECTOR}"):
        assert payload.signed_text(request) == VECTOR_JSON.encode()
    assert query_payload(VECTOR) == VECTOR_JSON.encode()
    assert hashlib.sha256(VECTOR_JSON.encode()).hexdigest() == VECTOR_SHA256


# (provider, its settings, the GET fixture, its signer)
SIGNED = [
    ("vonage", {"VONAGE_SIGNATURE_SECRET": VONAGE_SECRET}, "status-completed", vonage),
    ("jambonz", {"JAMBONZ_WEBHOOK_SECRET": JAMBONZ_SECRET}, "status-completed", jambonz),
    ("twilio", {"TWILIO_AUTH_TOKEN": TWILIO_TOKEN}, "status-completed", twilio),
    ("plivo", {"PLIVO_AUTH_TOKEN": PLIVO_TOKEN}, "status-completed", plivo),
]


def signed_get(fake_redis, settings, provider, name, signer, extra: str = "", **sign):
    """GET one fixture signed for its URL (the provider's fields, then ``extra``) as the
    provider signs a GET; ``extra`` may add fields after signing (a tampered query)."""
    client = create_app({"TESTING": True, "SIP_PUBLIC_URL": PUBLIC, **settings},
                        redis_client=fake_redis).test_client()
    route, raw, _ = fixture(provider, f"{name}.query")
    target = f"{route}?{raw.decode()}"
    headers = signer(PUBLIC + target, query_payload(raw.decode()), QUERY, **sign)
    return client.get(target + extra, headers=headers), headers


@pytest.mark.parametrize(("provider", "settings", "name", "signer"), SIGNED,
                         ids=[row[0] for row in SIGNED])
def test_a_get_signed_by_its_provider_is_let_in(fake_redis, provider, settings, name, signer):
    answer, _ = signed_get(fake_redis, settings, provider, name, signer)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "completed"


@pytest.mark.parametrize(("provider", "settings", "name", "signer"), SIGNED,
                         ids=[row[0] for row in SIGNED])
@pytest.mark.parametrize("forgery", ["tampered query", "wrong secret"])
def test_a_forged_get_is_refused_and_writes_nothing(fake_redis, provider, settings, name, signer,
                                                     forgery):
    before = snapshot(fake_redis)
    if forgery == "tampered query":
        answer, _ = signed_get(fake_redis, settings, provider, name, signer, "&status=busy")
    else:
        answer, _ = signed_get(fake_redis, settings, provider, name, signer, secret=WRONG)
    assert answer.status_code == 401
    assert answer.get_json()["error"].startswith(provider)
    assert snapshot(fake_redis) == before


def test_vonages_own_sdk_accepts_the_token_of_a_get(fake_redis):
    _, headers = signed_get(fake_redis, SIGNED[0][1], "vonage", "status-completed", vonage)
    token = headers["Authorization"].removeprefix("Bearer ")
    assert verify_signature(token, VONAGE_SECRET) is True
    _, raw, _ = fixture("vonage", "status-completed.query")
    claims = jwt.decode(token, VONAGE_SECRET, algorithms=["HS256"])
    assert claims["payload_hash"] == hashlib.sha256(query_payload(raw.decode())).hexdigest()


def test_a_jambonz_get_may_come_with_basic_credentials_instead(fake_redis):
    client = create_app({"TESTING": True, "SIP_BASIC_AUTH": "jambonz:s3cret"},
                        redis_client=fake_redis).test_client()
    credentials = base64.b64encode(b"jambonz:s3cret").decode()
    answer = post(client, "jambonz", "status-completed.query",
                  headers={"Authorization": f"Basic {credentials}"})
    assert answer.status_code == 200
    assert post(client, "jambonz", "status-ringing.query").status_code == 401


@pytest.mark.parametrize("route", ["/sip-status", "/sip-webhook"])
def test_a_get_without_fields_is_a_json_400_that_writes_nothing(any_client, any_redis, route):
    answer = any_client.get(route)
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": "a GET callback carries its fields in the query string, and it is empty"}
    assert snapshot(any_redis) == {}  # the Redis the app wrote to, whichever kind


def test_a_get_with_too_many_fields_is_a_413(fake_redis):
    client = create_app({"TESTING": True, "MAX_FORM_PARTS": 4},
                        redis_client=fake_redis).test_client()
    answer = client.get("/sip-status?" + "&".join(f"f{n}=1" for n in range(5)))
    assert answer.status_code == 413 and "more than 4 fields" in answer.get_json()["error"]


def test_a_get_that_names_no_call_says_which_provider_and_field(any_client, any_redis):
    _, raw, _ = fixture("vonage", "status-answered.query")
    without_uuid = "&".join(pair for pair in raw.decode().split("&")
                            if not pair.startswith("uuid="))
    answer = any_client.get(f"/sip-status?{without_uuid}")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "vonage callback without uuid: it names no call"
    assert snapshot(any_redis) == {}  # the Redis the app wrote to, whichever kind


def test_a_head_request_records_nothing(any_client, any_app):
    """HEAD is safe by definition: a monitor probing a callback URL must not record a status."""
    for route in ("/sip-status", "/sip-webhook"):
        answer = any_client.head(f"{route}?CallSid=CA-head&CallStatus=completed")
        assert answer.status_code == 405 and answer.headers["Allow"] == "GET, POST"
    assert any_app.extensions["burki_sip"].load_status("CA-head") == (None, -2)
