"""X-Request-ID is logged, stored and sent back: one that carries a key or a number is redacted."""

import json

import pytest

from burki_sip import create_app

KEY = "rid-key-5a7c1e9b"


@pytest.fixture
def client(fake_redis):
    app = create_app({"TESTING": True, "SIP_INBOUND_API_KEYS": KEY}, redis_client=fake_redis)
    return app.test_client()


def access_line(capsys) -> dict:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [line] = [line for line in lines if line["logger"] == "burki_sip.access"]
    return line


@pytest.mark.parametrize(("sent", "secret"), [
    (KEY, KEY),
    (f"req-{KEY}", KEY),
    ("+15559876543", "5559876543"),
    ("call-from-+4915112345678", "15112345678"),
])
def test_a_request_id_carrying_a_key_or_a_phone_number_is_redacted(client, capsys, sent, secret):
    capsys.readouterr()
    response = client.get("/healthz", headers={"X-Request-ID": sent})

    line = access_line(capsys)
    assert secret not in line["request_id"] and secret not in response.headers["X-Request-ID"]
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_a_request_id_carrying_a_key_is_not_stored_with_the_event(client, fake_redis):
    response = client.post("/sip-webhook", json={"event": "x"}, headers={
        "Authorization": f"Bearer {KEY}", "X-Request-ID": f"id-{KEY}"})

    assert response.status_code == 200
    [(_, entry)] = fake_redis.xrange("burki:sip:events:webhook")
    assert KEY not in json.dumps(entry)


def test_a_plain_request_id_is_kept(client, capsys):
    capsys.readouterr()
    response = client.get("/healthz", headers={"X-Request-ID": "heroku-3f2a9c:7/1"})
    assert response.headers["X-Request-ID"] == "heroku-3f2a9c:7/1"
    assert access_line(capsys)["request_id"] == "heroku-3f2a9c:7/1"
