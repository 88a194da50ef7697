"""Each provider's own signature, made by its SDK (provider_signers.py): a genuine one is let in; a
tampered body, a wrong secret, an old timestamp or another URL is a 401 that writes nothing."""

import time

import pytest

from burki_sip import create_app
from provider_signers import PROVIDERS, WRONG, Provider
from providers_support import fixture
from security_support import snapshot

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
