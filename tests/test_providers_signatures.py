"""Each provider's own signature, made by its SDK (provider_signers.py): a genuine one is let in; a
tampered body, a wrong secret, an old timestamp or another URL is a 401 that writes nothing. The
corner cases' shapes (a <Dial> action, Telnyx's call.initiated and lone hangup, Plivo without
CallUUID) read the same signed as unsigned."""

import time

import pytest

from burki_sip import create_app
from provider_signers import PLIVO_TOKEN, PROVIDERS, TELNYX_PUBLIC, TWILIO_TOKEN, WRONG, Provider
from providers_support import fixture
from security_support import KEY, snapshot
from test_providers_fixtures import CALL_CONTROL, TWILIO

PUBLIC = "https://api.burki.dev"
IDS = [f"{p.name}:{p.fixture}" for p in PROVIDERS]


def client_for(fake_redis, settings: dict):
    app = create_app({"TESTING": True, "SIP_PUBLIC_URL": PUBLIC, **settings},
                     redis_client=fake_redis)
    return app.test_client()


def send(client, provider: Provider, url_query: str = "", body: bytes | None = None,
         signed_body: bytes | None = None, signed_url: str | None = None, **sign):
    route, raw, content_type = fixture(provider.name, provider.fixture)
    signed_url = signed_url or PUBLIC + route + url_query
    headers = provider.sign(signed_url, raw if signed_body is None else signed_body,
                            content_type, **sign)
    return client.post(route + url_query, data=raw if body is None else body,
                       content_type=content_type, headers=headers)


def tampered(raw: bytes) -> bytes:
    return raw + b"&Tampered=1" if not raw.startswith(b"{") else raw[:-1] + b', "tampered": 1}'


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
def test_a_genuine_signature_is_let_in(fake_redis, provider):
    client = client_for(fake_redis, provider.settings)
    answer = send(client, provider, "?leg=a")
    assert answer.status_code == 200, answer.get_json()
    assert fake_redis.xlen("burki:sip:events:" + ("status" if "status" in provider.fixture
                                                  else "webhook")) == 1


@pytest.mark.parametrize("provider", PROVIDERS, ids=IDS)
@pytest.mark.parametrize("forgery", ["tampered body", "wrong secret", "no signature"])
def test_a_forged_request_is_refused_and_writes_nothing(fake_redis, provider, forgery):
    client = client_for(fake_redis, provider.settings)
    _, raw, _ = fixture(provider.name, provider.fixture)
    before = snapshot(fake_redis)
    if forgery == "tampered body":
        answer = send(client, provider, body=tampered(raw))
    elif forgery == "wrong secret":
        answer = send(client, provider, secret=WRONG)
    else:
        answer = client.post("/sip-status", json={"call_sid": "CA1", "status": "completed"})
    assert answer.status_code == 401
    assert answer.get_json()["error"]
    assert snapshot(fake_redis) == before


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p.timestamped],
                         ids=lambda p: p.name)
def test_an_old_timestamp_is_refused(fake_redis, provider):
    client = client_for(fake_redis, provider.settings)
    answer = send(client, provider, at=time.time() - 301 - 6 * 3600 * (provider.name == "livekit"))
    assert answer.status_code == 401
    assert any(word in answer.get_json()["error"] for word in ("old", "iat", "expired", "verify"))


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p.signs_url],
                         ids=lambda p: f"{p.name}:{p.fixture}")
def test_a_signature_for_another_url_is_refused(fake_redis, provider):
    client = client_for(fake_redis, provider.settings)
    route, _, _ = fixture(provider.name, provider.fixture)
    answer = send(client, provider, signed_url=f"https://elsewhere.example{route}")
    assert answer.status_code == 401
    assert f"{PUBLIC}{route}" in answer.get_json()["error"]


def signed_post(client, provider: str, name: str, route: str | None = None, **sign):
    """One fixture posted as the provider posts it, signed by its SDK for the route it goes to."""
    fixture_route, raw, content_type = fixture(provider, name)
    route = route or fixture_route
    signer = next(p.sign for p in PROVIDERS if p.name == provider)
    return client.post(route, data=raw, content_type=content_type,
                       headers=signer(PUBLIC + route, raw, content_type, **sign))


def read_back(client, call_sid: str) -> dict:
    answer = client.get(f"/sip-status/{call_sid}", headers={"X-API-Key": KEY})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_a_signed_dial_action_moves_the_parent_and_keeps_the_legs_outcome(fake_redis):
    client = client_for(fake_redis, {"TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                                     "SIP_INBOUND_API_KEYS": KEY})
    for name in ("webhook-ringing", "webhook-dial-busy"):
        assert signed_post(client, "twilio", name).status_code == 200
    state = read_back(client, TWILIO)
    assert (state["status"], state["dial_status"], state["dial_sip_code"]) == (
        "in-progress", "busy", "486")


@pytest.mark.parametrize("route", ["/sip-webhook", "/sip-status"])
def test_signed_telnyx_initiated_then_a_lone_hangup_reads_as_the_hangup_says(fake_redis, route):
    client = client_for(fake_redis, {"TELNYX_PUBLIC_KEY": TELNYX_PUBLIC,
                                     "SIP_INBOUND_API_KEYS": KEY})
    assert signed_post(client, "telnyx", "webhook-initiated-incoming").status_code == 200
    assert read_back(client, CALL_CONTROL)["status"] == "initiated"
    assert signed_post(client, "telnyx", "webhook-completed", route).status_code == 200
    state = read_back(client, CALL_CONTROL)
    assert (state["status"], state["sip_code"]) == ("completed", "200")


def test_a_signed_plivo_callback_without_calluuid_is_let_in_and_named_plivos(fake_redis):
    client = client_for(fake_redis, {"PLIVO_AUTH_TOKEN": PLIVO_TOKEN})
    answer = signed_post(client, "plivo", "status-refused-no-calluuid")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "plivo callback without CallUUID: it names no call"
    assert signed_post(client, "plivo", "status-refused-no-calluuid", "/sip-webhook",
                       secret=WRONG).status_code == 401
    assert signed_post(client, "plivo", "status-refused-no-calluuid", "/sip-webhook"
                       ).status_code == 200
    assert fake_redis.xlen("burki:sip:events:webhook") == 1
