import json

import pytest

from burki_sip import create_app
from support import free_port

CONTEXT_KEY = "burki:sip:call:{sip-20260430-abc123}:context"


def test_prewarm_stores_the_seed_example(client, fake_redis, seed_prewarm):
    response = client.post("/sip-prewarm", json=seed_prewarm)

    assert response.status_code == 200
    assert response.get_json() == {"call_sid": "sip-20260430-abc123", "prewarmed": True}
    stored = json.loads(fake_redis.get(CONTEXT_KEY))
    assert stored.pop("prewarmed_at").endswith("Z")
    assert stored == seed_prewarm
    assert 295 <= fake_redis.ttl(CONTEXT_KEY) <= 300


def test_prewarm_ttl_comes_from_settings(fake_redis, seed_prewarm):
    app = create_app({"TESTING": True, "SIP_PREWARM_TTL": 30}, redis_client=fake_redis)
    app.test_client().post("/sip-prewarm", json=seed_prewarm)
    assert 25 <= fake_redis.ttl(CONTEXT_KEY) <= 30


def test_repeated_prewarm_replaces_the_context(client, fake_redis, seed_prewarm):
    client.post("/sip-prewarm", json=seed_prewarm)
    seed_prewarm["agenda"] = "Second attempt"
    del seed_prewarm["welcome_message"]
    client.post("/sip-prewarm", json=seed_prewarm)

    stored = json.loads(fake_redis.get(CONTEXT_KEY))
    assert stored["agenda"] == "Second attempt"
    assert "welcome_message" not in stored


def test_null_fields_are_not_stored(client, fake_redis):
    client.post("/sip-prewarm", json={"call_sid": "c1", "agenda": None})
    stored = json.loads(fake_redis.get("burki:sip:call:{c1}:context"))
    assert set(stored) == {"call_sid", "prewarmed_at"}


@pytest.mark.parametrize(("body", "error"), [
    ({}, "call_sid required"),
    ({"call_sid": None}, "call_sid required"),
    ({"call_sid": ""}, "call_sid required"),
    ({"from_number": "+15559876543"}, "call_sid required"),
])
def test_missing_call_sid_answer_is_exactly_the_seed_page(client, fake_redis, body, error):
    response = client.post("/sip-prewarm", json=body)
    assert response.status_code == 400
    assert response.get_json() == {"error": error}
    assert fake_redis.dbsize() == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"call_sid": "c", "variables": "not json"}, "variables"),
    ({"call_sid": "c", "variables": "[1]"}, "variables"),
    ({"call_sid": "c", "variables": 3}, "variables"),
    ({"call_sid": "c b"}, "call_sid"),
    ({"call_sid": "c", "assistant_id": "x"}, "assistant_id"),
])
def test_other_problems_name_their_fields(client, fake_redis, body, field):
    response = client.post("/sip-prewarm", json=body)
    assert response.status_code == 400
    answer = response.get_json()
    assert field in answer["error"]
    assert list(answer["fields"]) == [field]
    assert fake_redis.dbsize() == 0


@pytest.mark.parametrize(("data", "content_type", "status", "error"), [
    ("", "application/json", 400, "request body is empty"),
    ("{", "application/json", 400, "not valid JSON"),
    ("[1, 2]", "application/json", 400, "must be a JSON object"),
    ('{"call_sid": "c", "assistant_id": NaN}', "application/json", 400, "not valid JSON"),
    ("call_sid=c", "application/x-www-form-urlencoded", 415, "application/json"),
    ("call_sid", "text/plain", 415, "application/json"),
])
def test_prewarm_body_must_be_a_json_object(client, fake_redis, data, content_type, status, error):
    response = client.post("/sip-prewarm", data=data, content_type=content_type)
    assert response.status_code == status
    assert error in response.get_json()["error"]
    assert fake_redis.dbsize() == 0


@pytest.mark.parametrize("kind", ["webhook", "status"])
def test_json_event_is_recorded(client, fake_redis, kind):
    body = {"call_sid": "c1", "status": "ringing", "nested": {"a": [1, 2]}}
    response = client.post(f"/sip-{kind}", json=body)

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["received"] is True
    [(entry_id, entry)] = fake_redis.xrange(f"burki:sip:events:{kind}")
    assert answer["event_id"] == entry_id
    assert entry["call_sid"] == "c1"
    assert entry["content_type"] == "application/json"
    assert json.loads(entry["payload"]) == body
    assert entry["received_at"].endswith("Z")


@pytest.mark.parametrize("kind", ["webhook", "status"])
def test_form_event_is_recorded(client, fake_redis, kind):
    response = client.post(f"/sip-{kind}", data={"CallSid": "CA1", "CallStatus": "ringing",
                                                "Tag": ["a", "b"]})
    assert response.status_code == 200
    [(_, entry)] = fake_redis.xrange(f"burki:sip:events:{kind}")
    assert entry["call_sid"] == "CA1"
    assert entry["content_type"] == "application/x-www-form-urlencoded"
    assert json.loads(entry["payload"]) == {"CallSid": "CA1", "CallStatus": "ringing",
                                            "Tag": ["a", "b"]}


def test_event_without_call_sid_is_recorded_without_one(client, fake_redis):
    client.post("/sip-webhook", json={"event": "trunk.registered"})
    [(_, entry)] = fake_redis.xrange("burki:sip:events:webhook")
    assert "call_sid" not in entry


@pytest.mark.parametrize(("data", "content_type", "status", "error"), [
    ("", "application/json", 400, "empty"),
    ("", "application/x-www-form-urlencoded", 400, "empty"),
    ("", None, 400, "empty"),
    ('"text"', "application/json", 400, "JSON object"),
    ("[]", "application/json", 400, "JSON object"),
    ("{bad", "application/json", 400, "not valid JSON"),
    ("hello", "text/plain", 415, "JSON object or a form"),
    ('{"call_sid": "a b"}', "application/json", 400, "call_sid"),
    ('{"call_sid": {"x": 1}}', "application/json", 400, "call_sid"),
])
@pytest.mark.parametrize("kind", ["webhook", "status"])
def test_bad_event_bodies_are_refused(client, fake_redis, kind, data, content_type, status, error):
    response = client.post(f"/sip-{kind}", data=data, content_type=content_type)
    assert response.status_code == status
    assert error in response.get_json()["error"]
    assert fake_redis.dbsize() == 0


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/nowhere", 404),
    ("get", "/sip-prewarm", 405),
    ("put", "/sip-webhook", 405),
    ("delete", "/sip-status", 405),
])
def test_routing_errors_are_json(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.is_json and isinstance(response.get_json()["error"], str)


def test_body_over_the_limit_is_413_json(fake_redis):
    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1024}, redis_client=fake_redis)
    response = app.test_client().post("/sip-webhook", json={"pad": "x" * 2000})
    assert response.status_code == 413
    assert response.get_json() == {"error": "request body too large (limit 1024 bytes)"}
    assert fake_redis.dbsize() == 0


@pytest.mark.parametrize(("path", "body"), [
    ("/sip-prewarm", {"call_sid": "c1"}),
    ("/sip-webhook", {"call_sid": "c1"}),
    ("/sip-status", {"call_sid": "c1", "status": "ringing"}),
])
def test_redis_failure_is_503_with_retry_after(path, body):
    app = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    response = app.test_client().post(path, json=body)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json() == {"error": "storage unavailable, retry later"}


def test_unexpected_exception_is_json_500_without_trace(fake_redis, monkeypatch):
    app = create_app({"TESTING": False}, redis_client=fake_redis)
    monkeypatch.setattr(app.extensions["burki_sip"], "save_context",
                        lambda *a, **k: 1 / 0)
    response = app.test_client().post("/sip-prewarm", json={"call_sid": "c1"})
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal server error"}


@pytest.mark.parametrize("call_sid", ["sip-20260430-abc123", 'a"quote', "back\\slash", "x" * 128])
def test_prewarm_answer_is_byte_for_byte_flasks_json(app, client, call_sid):
    response = client.post("/sip-prewarm", json={"call_sid": call_sid})

    with app.app_context():
        expected = app.json.response({"call_sid": call_sid, "prewarmed": True})
    assert response.status_code == 200
    assert response.data == expected.data
    assert response.headers["Content-Type"] == expected.headers["Content-Type"]


@pytest.mark.parametrize("path", ["/sip-prewarm", "/sip-webhook", "/sip-status"])
@pytest.mark.parametrize("body", [
    '{"call_sid": "c1", "status": "ringing", "agenda": "\\ud800"}',
    '{"call_sid": "c1", "status": "ringing", "variables": "{\\"a\\": \\"\\\\udfff\\"}"}',
    '{"call_sid": "c1", "status": "ringing", "\\udc00": 1}',
])
def test_lone_surrogates_are_refused_not_a_500(client, fake_redis, path, body):
    response = client.post(path, data=body, content_type="application/json")
    if path != "/sip-prewarm" and "variables" in body:
        # Outside prewarm, variables is just payload text: stored as it came, a valid string.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "error" in response.get_json()
    assert fake_redis.dbsize() == 0


def test_escaped_non_ascii_is_still_accepted(client, fake_redis):
    response = client.post("/sip-prewarm", data='{"call_sid": "c1", "agenda": "caf\\u00e9 \\ud83d\\ude00"}',
                           content_type="application/json")
    assert response.status_code == 200
    assert "café 😀" in fake_redis.get("burki:sip:call:{c1}:context")


@pytest.mark.parametrize(("path", "body"), [
    ("/sip-prewarm", '{"call_sid": "c1", "variables": {"a": -1e400}}'),
    ("/sip-prewarm", '{"call_sid": "c1", "variables": "{\\"a\\": 1e999}"}'),
    ("/sip-webhook", '{"call_sid": "c1", "reading": 1e400}'),
    ("/sip-status", '{"call_sid": "c1", "status": "ringing", "timestamp": 1E+400}'),
])
def test_numbers_beyond_a_float_are_refused(client, fake_redis, path, body):
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.get_json()
    assert fake_redis.dbsize() == 0


def test_stream_entry_keeps_the_request_id(client, fake_redis, keys):
    client.post("/sip-webhook", json={"call_sid": "c1", "event": "ringing"},
                headers={"X-Request-ID": "req-abc-123"})
    [(_, entry)] = fake_redis.xrange(keys.events("webhook"))
    assert entry["request_id"] == "req-abc-123"
