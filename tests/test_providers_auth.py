"""How the providers' schemes join the guard: any one that verifies lets a request in, a route with
any configured refuses the unauthenticated; HTTP Basic; the signed URL behind proxies; settings."""

import base64
import logging

import pytest

from burki_sip import create_app
from provider_signers import TELNYX_PUBLIC, TWILIO_TOKEN, WRONG, telnyx, twilio
from providers_support import FORM, fixture
from security_support import KEY, snapshot

STATUS = {"call_sid": "CA1", "status": "ringing"}


def make(fake_redis, **settings):
    return create_app({"TESTING": True, **settings}, redis_client=fake_redis).test_client()


def twilio_post(client, signed_url: str, path: str = "/sip-status", **kwargs):
    _, raw, _ = fixture("twilio", "status-completed")
    return client.post(path, data=raw, content_type=FORM,
                       headers={**twilio(signed_url, raw, FORM), **kwargs.pop("headers", {})},
                       **kwargs)


def basic(pair: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def test_a_route_with_a_provider_scheme_refuses_the_unauthenticated(fake_redis, caplog):
    with caplog.at_level(logging.WARNING):
        client = make(fake_redis, TWILIO_AUTH_TOKEN=TWILIO_TOKEN)
    before = snapshot(fake_redis)
    answer = client.post("/sip-status", json=STATUS)
    assert answer.status_code == 401
    assert "X-Twilio-Signature" in answer.get_json()["error"]
    assert snapshot(fake_redis) == before
    # Providers never call prewarm, and it hands out nothing without a key: closed, not open.
    assert client.post("/sip-prewarm", json={"call_sid": "CA1"}).status_code == 401
    assert client.get("/sip-prewarm/CA1").status_code == 401
    assert snapshot(fake_redis) == before
    assert "need a webhook or provider signature" in caplog.text


def test_without_a_public_url_the_url_as_received_is_the_signed_one(fake_redis):
    client = make(fake_redis, TWILIO_AUTH_TOKEN=TWILIO_TOKEN)
    assert twilio_post(client, "http://localhost/sip-status").status_code == 200
    assert twilio_post(client, "https://api.burki.dev/sip-status").status_code == 401


@pytest.mark.parametrize(("count", "status"), [(1, 200), (0, 401)])
def test_forwarded_scheme_and_host_count_only_behind_trusted_proxies(fake_redis, count, status):
    client = make(fake_redis, TWILIO_AUTH_TOKEN=TWILIO_TOKEN, TRUSTED_PROXY_COUNT=count)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.burki.dev",
                 "X-Forwarded-For": "203.0.113.9"}
    answer = twilio_post(client, "https://api.burki.dev/sip-status", headers=forwarded)
    assert answer.status_code == status


def test_the_public_url_wins_over_what_the_proxy_says(fake_redis):
    client = make(fake_redis, TWILIO_AUTH_TOKEN=TWILIO_TOKEN, TRUSTED_PROXY_COUNT=1,
                  SIP_PUBLIC_URL="https://api.burki.dev/")
    lying = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "internal:8000"}
    assert twilio_post(client, "https://api.burki.dev/sip-status?x=1", path="/sip-status?x=1",
                       headers=lying).status_code == 200


def test_any_configured_scheme_that_verifies_is_enough(fake_redis):
    client = make(fake_redis, TWILIO_AUTH_TOKEN=TWILIO_TOKEN, TELNYX_PUBLIC_KEY=TELNYX_PUBLIC,
                  SIP_INBOUND_API_KEYS=KEY, SIP_PUBLIC_URL="https://api.burki.dev")
    _, raw, content_type = fixture("telnyx", "webhook-answered")
    signed = client.post("/sip-webhook", data=raw, content_type=content_type,
                         headers=telnyx("", raw, content_type))
    assert signed.status_code == 200
    # A wrong provider signature does not spoil a good key, and both reasons are given otherwise.
    _, form, _ = fixture("twilio", "status-completed")
    bad = twilio("https://api.burki.dev/sip-status", form, FORM, secret=WRONG)
    keyed = client.post("/sip-status", data=form, content_type=FORM,
                        headers={**bad, "X-API-Key": KEY})
    assert keyed.status_code == 200
    refused = client.post("/sip-status", data=form, content_type=FORM,
                          headers={**bad, "X-API-Key": "nope"})
    assert refused.status_code == 401
    assert refused.get_json()["error"].startswith("twilio: X-Twilio-Signature does not match")
    assert refused.get_json()["error"].endswith("; invalid API key")


def test_http_basic_credentials_rotate(fake_redis):
    client = make(fake_redis, SIP_BASIC_AUTH="jambonz:old-password, jambonz:new-password")
    for pair in ("jambonz:old-password", "jambonz:new-password"):
        assert client.post("/sip-status", json=STATUS, headers=basic(pair)).status_code == 200
    wrong = client.post("/sip-status", json=STATUS, headers=basic("jambonz:guess"))
    assert (wrong.status_code, wrong.get_json()["error"]) == (
        401, "basic: HTTP Basic credentials do not match SIP_BASIC_AUTH")
    assert client.post("/sip-status", json=STATUS).status_code == 401


def test_http_basic_does_not_open_the_bridge_routes(fake_redis):
    client = make(fake_redis, SIP_BASIC_AUTH="user:password", SIP_INBOUND_API_KEYS=KEY)
    assert client.post("/sip-prewarm", json={"call_sid": "CA1"},
                       headers=basic("user:password")).status_code == 401


def test_provider_secrets_never_reach_the_logs(fake_redis, caplog):
    client = make(fake_redis, TWILIO_AUTH_TOKEN=TWILIO_TOKEN)
    logging.getLogger("burki_sip.web.auth").warning("leak %s", TWILIO_TOKEN)
    client.post("/sip-status", json=STATUS)
    assert TWILIO_TOKEN not in caplog.text


def test_the_document_lists_each_provider_scheme_and_parameter_on_the_signed_routes(client):
    from burki_sip.web.providers.guard import ALL_SCHEMES

    document = client.get("/openapi.json").get_json()
    schemes = document["components"]["securitySchemes"]
    assert {"twilioSignature", "signalwireSignature", "telnyxSignature", "jambonzSignature",
            "vonageSignature", "plivoSignature", "livekitSignature", "basicAuth"} <= set(schemes)
    assert len(ALL_SCHEMES) == 8
    assert schemes["telnyxSignature"]["name"] == "telnyx-signature-ed25519"
    assert schemes["basicAuth"] == {**schemes["basicAuth"], "type": "http", "scheme": "basic"}
    for path in ("/sip-webhook", "/sip-status"):
        operation = document["paths"][path]["post"]
        assert {"twilioSignature": []} in operation["security"]
        assert {"provider", "call_sid"} <= {p.get("name") for p in operation["parameters"]}
    prewarm = document["paths"]["/sip-prewarm"]["post"]["security"]
    assert {"twilioSignature": []} not in prewarm


def test_signalwire_laml_signed_under_twilios_header_verifies_with_the_signing_key(fake_redis):
    from provider_signers import SIGNALWIRE_KEY

    client = make(fake_redis, SIGNALWIRE_SIGNING_KEY=SIGNALWIRE_KEY)
    _, raw, _ = fixture("signalwire", "status-completed")
    headers = twilio("http://localhost/sip-status", raw, FORM, secret=SIGNALWIRE_KEY)
    assert list(headers) == ["X-Twilio-Signature"]
    answer = client.post("/sip-status", data=raw, content_type=FORM, headers=headers)
    assert answer.status_code == 200


def test_the_missing_message_names_every_configured_scheme(fake_redis):
    client = make(fake_redis, SIP_BASIC_AUTH="u:p", TELNYX_PUBLIC_KEY=TELNYX_PUBLIC)
    error = client.post("/sip-webhook", json={"event": "x"}).get_json()["error"]
    assert error == ("authentication required: send a provider signature or credentials "
                     "(telnyx-signature-ed25519, Authorization: Basic)")


def test_a_refusal_names_the_signed_path_but_not_its_query_values(fake_redis, caplog):
    client = make(fake_redis, TWILIO_AUTH_TOKEN=TWILIO_TOKEN, SIP_PUBLIC_URL="https://api.burki.dev")
    _, form, _ = fixture("twilio", "status-completed")
    bad = twilio("https://api.burki.dev/sip-status?token=s3cret", form, FORM, secret=WRONG)
    with caplog.at_level(logging.WARNING):
        refused = client.post("/sip-status?token=s3cret", data=form, content_type=FORM, headers=bad)
    assert refused.status_code == 401
    assert refused.get_json()["error"] == (
        "twilio: X-Twilio-Signature does not match the URL https://api.burki.dev/sip-status (its "
        "query was signed too; not shown) and the body (is SIP_PUBLIC_URL the URL the provider "
        "calls?)")
    assert "sip-status (its query was signed too; not shown)" in caplog.text
    assert "s3cret" not in refused.get_data(as_text=True) and "s3cret" not in caplog.text
