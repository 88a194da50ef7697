import hmac
import json
import logging

import pytest

from burki_sip import create_app
from burki_sip.web import auth
from burki_sip.web.openapi_components import PROVIDER_SCHEMES
from security_support import (KEY, OLD_KEY, OTHER_SECRET, VECTOR_SECRET, signed_headers,
                              snapshot)

STATUS = {"call_sid": "CA1", "status": "ringing"}
# Every route of the sip blueprint: (method, path, JSON body or None).
ROUTES = [
    ("post", "/sip-prewarm", {"call_sid": "CA1"}),
    ("post", "/sip-webhook", {"call_sid": "CA1", "event": "inbound_call"}),
    ("post", "/sip-status", STATUS),
    ("get", "/sip-prewarm/CA1", None),
    ("get", "/sip-status/CA1", None),
    ("post", "/sip-erasures", {"call_sids": ["CA1"]}),
    ("get", "/sip-erasures/" + "0" * 32, None),
]


def make_app(fake_redis, **settings):
    """The app with the given security settings."""
    return create_app({"TESTING": True, **settings}, redis_client=fake_redis)


@pytest.fixture
def secured(fake_redis):
    """Keys (a rotation: two) and a webhook secret configured."""
    return make_app(fake_redis, SIP_INBOUND_API_KEYS=f"{KEY}, {OLD_KEY}",
                    SIP_WEBHOOK_SECRETS=VECTOR_SECRET).test_client()


def call(client, method, path, body=None, **kwargs):
    if body is None:
        return getattr(client, method)(path, **kwargs)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json",
                                   **kwargs)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong-key"},
    {"X-API-Key": "wrong-key"},
    {"Authorization": f"Basic {KEY}"},
    {"Authorization": "Bearer "},
    {"Authorization": f"Bearer {KEY}x"},
])
def test_every_sip_route_refuses_a_missing_or_wrong_key(secured, fake_redis, method, path, body,
                                                        headers):
    before = snapshot(fake_redis)
    response = call(secured, method, path, body, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert isinstance(response.get_json()["error"], str)
    assert snapshot(fake_redis) == before


@pytest.mark.parametrize(("method", "path", "body"), ROUTES[:3])
@pytest.mark.parametrize("headers", [
    {"Authorization": f"Bearer {KEY}"},
    {"authorization": f"bearer {KEY}"},
    {"X-API-Key": KEY},
    {"Authorization": f"Bearer {OLD_KEY}"},
    {"Authorization": "Bearer wrong", "X-API-Key": KEY},
])
def test_a_configured_key_in_either_header_opens_every_write(secured, method, path, body, headers):
    assert call(secured, method, path, body, headers=headers).status_code == 200


def test_reads_accept_the_key_too(secured):
    headers = {"X-API-Key": KEY}
    call(secured, "post", "/sip-prewarm", {"call_sid": "CA1"}, headers=headers)
    assert secured.get("/sip-prewarm/CA1", headers=headers).status_code == 200
    assert secured.get("/sip-status/CA1", headers=headers).status_code == 404  # no status yet


def test_the_messages_say_what_is_missing(secured):
    missing = call(secured, "post", "/sip-prewarm", {"call_sid": "CA1"}).get_json()["error"]
    wrong = call(secured, "post", "/sip-prewarm", {"call_sid": "CA1"},
                 headers={"X-API-Key": "nope"}).get_json()["error"]
    assert missing.startswith("authentication required: send an API key")
    assert "signature" not in missing  # prewarm is never signed
    assert wrong == "invalid API key"


def test_the_bridge_key_is_the_inbound_key_when_no_list_is_set(fake_redis):
    client = make_app(fake_redis, SIP_BRIDGE_API_KEY=KEY).test_client()
    assert call(client, "post", "/sip-status", STATUS,
                headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert call(client, "post", "/sip-status", STATUS).status_code == 401


def test_the_inbound_list_replaces_the_bridge_key(fake_redis):
    client = make_app(fake_redis, SIP_BRIDGE_API_KEY=OLD_KEY,
                      SIP_INBOUND_API_KEYS=KEY).test_client()
    accepted = call(client, "post", "/sip-status", STATUS, headers={"X-API-Key": KEY})
    assert accepted.status_code == 200
    assert call(client, "post", "/sip-status", STATUS,
                headers={"X-API-Key": OLD_KEY}).status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json"])
def test_routes_outside_the_sip_blueprint_stay_open(fake_redis, path):
    app = make_app(fake_redis, SIP_INBOUND_API_KEYS=KEY, SIP_WEBHOOK_SECRETS=VECTOR_SECRET,
                   SIP_ALLOWED_IPS="203.0.113.0/24")
    assert app.test_client().get(path).status_code == 200


def test_routing_errors_are_not_401(secured):
    assert secured.get("/nowhere").status_code == 404
    assert secured.put("/sip-status").status_code == 405


def test_every_configured_key_is_compared_in_constant_time(fake_redis, monkeypatch):
    app = make_app(fake_redis, SIP_INBOUND_API_KEYS="k-one-1234,k-two-1234,k-three-1234")
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    for key in ("k-one-1234", "k-three-1234", "nope"):
        compared.clear()
        call(app.test_client(), "get", "/sip-status/CA1", headers={"X-API-Key": key})
        assert len(compared) == 3  # no early exit: which key matched does not show in timing


def test_a_signed_webhook_needs_no_key(secured, fake_redis):
    body = json.dumps({"call_sid": "CA1", "event": "inbound_call"}).encode()
    response = secured.post("/sip-webhook", data=body, content_type="application/json",
                            headers=signed_headers(body))
    assert response.status_code == 200
    assert fake_redis.xlen("burki:sip:events:webhook") == 1


def test_a_signed_form_status_is_still_parsed_by_the_route(secured, fake_redis):
    body = b"CallSid=CA1&CallStatus=ringing"
    response = secured.post("/sip-status", data=body,
                            content_type="application/x-www-form-urlencoded",
                            headers=signed_headers(body))
    assert response.status_code == 200
    assert response.get_json()["status"] == "ringing"


@pytest.mark.parametrize(("change", "reason"), [
    ({"body": b'{"call_sid": "CA2", "status": "ringing"}'}, "does not match"),
    ({"timestamp": -400}, "too old"),
    ({"timestamp": 400}, "in the future"),
    ({"secret": OTHER_SECRET}, "does not match"),
    ({"drop": "webhook-id"}, "missing: webhook-id"),
])
def test_a_bad_signature_is_401_saying_why_and_writes_nothing(secured, fake_redis, change, reason):
    import time

    signed_body = json.dumps(STATUS).encode()
    headers = signed_headers(signed_body, secret=change.get("secret", VECTOR_SECRET),
                             timestamp=int(time.time()) + change.get("timestamp", 0))
    headers.pop(change.get("drop", "none"), None)
    response = secured.post("/sip-status", data=change.get("body", signed_body),
                            content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert reason in response.get_json()["error"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert snapshot(fake_redis) == {}


def test_either_proof_is_enough(secured):
    body = json.dumps(STATUS).encode()
    good_signature = signed_headers(body)
    bad_signature = signed_headers(body, secret=OTHER_SECRET)
    with_key = secured.post("/sip-status", data=body, content_type="application/json",
                            headers={**bad_signature, "X-API-Key": KEY})
    with_signature = secured.post("/sip-status", data=body, content_type="application/json",
                                  headers={**good_signature, "X-API-Key": "wrong"})
    neither = secured.post("/sip-status", data=body, content_type="application/json",
                           headers={**bad_signature, "X-API-Key": "wrong"})
    assert with_key.status_code == 200
    assert with_signature.status_code == 200
    assert neither.status_code == 401
    assert neither.get_json()["error"].endswith("; invalid API key")


def test_a_signature_does_not_open_prewarm(secured):
    body = json.dumps({"call_sid": "CA1"}).encode()
    response = secured.post("/sip-prewarm", data=body, content_type="application/json",
                            headers=signed_headers(body))
    assert response.status_code == 401


def test_with_secrets_only_providers_must_sign_and_the_other_routes_close(fake_redis, caplog):
    client = make_app(fake_redis, SIP_WEBHOOK_SECRETS=VECTOR_SECRET).test_client()
    unsigned = call(client, "post", "/sip-status", STATUS, headers={"X-API-Key": "anything"})
    assert unsigned.status_code == 401
    assert "Standard Webhooks signature" in unsigned.get_json()["error"]
    refused = call(client, "post", "/sip-prewarm", {"call_sid": "CA1"})
    assert refused.status_code == 401
    assert "no API key configured" in refused.get_json()["error"]
    assert fake_redis.keys("*") == []
    assert "/sip-prewarm, the claim and a call's reads refuse every request" in caplog.text


def test_with_nothing_configured_the_routes_are_open_and_every_start_warns(fake_redis, caplog):
    with caplog.at_level(logging.WARNING, logger="burki_sip.web.auth"):
        client = make_app(fake_redis).test_client()
        make_app(fake_redis)
    assert call(client, "post", "/sip-status", STATUS).status_code == 200
    warnings = [record for record in caplog.records if record.name == "burki_sip.web.auth"]
    assert len(warnings) == 2
    assert "every SIP route accepts any request" in warnings[0].getMessage()


def test_a_configured_key_means_no_warning(fake_redis, caplog):
    make_app(fake_redis, SIP_BRIDGE_API_KEY=KEY)
    assert not [record for record in caplog.records if record.name == "burki_sip.web.auth"]


@pytest.mark.parametrize(("name", "value"), [
    ("SIP_WEBHOOK_SECRETS", "whsec_c2hvcnQ="),
    ("SIP_WEBHOOK_SECRETS", "whsec_%%%"),
    ("SIP_INBOUND_API_KEYS", "a key with spaces"),
])
def test_a_bad_secret_setting_is_named_but_never_echoed(fake_redis, name, value):
    with pytest.raises(ValueError, match=name) as raised:
        create_app({name: value}, redis_client=fake_redis)
    assert value not in str(raised.value)


def test_the_api_document_shows_what_the_guard_enforces(fake_redis):
    document = make_app(fake_redis).test_client().get("/openapi.json").get_json()
    key = [{"bearerAuth": []}, {"apiKeyAuth": []}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":  # the path's own, not an operation
                continue
            guarded = path.startswith("/sip-")
            assert ({"401", "403"} <= set(operation["responses"])) is guarded, (method, path)
            expected = None
            if guarded:
                signed = method in ("post", "get") and path in ("/sip-webhook", "/sip-status")
                providers = [{name: []} for name in PROVIDER_SCHEMES]
                expected = key + [{"webhookSignature": []}, *providers] if signed else key
            assert operation.get("security") == expected, (method, path)
    assert document["components"]["securitySchemes"]["webhookSignature"]["name"] == \
        "webhook-signature"
