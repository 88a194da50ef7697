"""The lifecycle, duplicate and read routes, through the app on fakeredis and on real Redis."""

import pytest

from burki_sip import create_app


@pytest.fixture
def db(any_redis):
    """Every test here runs twice: on fakeredis and on the real redis-server."""
    return any_redis


@pytest.fixture
def client(db):
    return create_app({"TESTING": True}, redis_client=db).test_client()

STATUS_KEY = "burki:sip:call:{CA1}:status"


def test_bridge_json_callback_answers_with_the_current_status(client, db):
    response = client.post("/sip-status", json={"call_sid": "CA1", "status": "ringing",
                                                "sip_code": 180, "sequence": 1})
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["received"] is True and answer["event_id"]
    assert {k: answer[k] for k in ("call_sid", "status", "applied")} == {
        "call_sid": "CA1", "status": "ringing", "applied": True}
    assert db.hget(STATUS_KEY, "sip_code") == "180"


def test_twilio_form_callback_is_understood(client, db):
    form = {"CallSid": "CA1", "CallStatus": "completed", "SipResponseCode": "200",
            "SequenceNumber": "4", "CallDuration": "61", "Timestamp": "Thu, 30 Apr 2026 12:00:00 +0000"}
    answer = client.post("/sip-status", data=form).get_json()

    assert (answer["status"], answer["applied"]) == ("completed", True)
    state = db.hgetall(STATUS_KEY)
    assert (state["sequence"], state["duration"], state["sip_code"]) == ("4", "61", "200")


@pytest.mark.parametrize(("code", "status"), [
    (100, "initiated"), (180, "ringing"), (183, "early-media"), (200, "in-progress"),
    (486, "busy"), (408, "no-answer"), (487, "canceled"), (503, "failed"),
])
def test_sip_code_alone_sets_the_status(client, code, status):
    answer = client.post("/sip-status", json={"call_sid": "CA1", "sip_code": code}).get_json()
    assert answer["status"] == status


def test_status_word_wins_over_the_sip_code(client):
    answer = client.post("/sip-status", json={"call_sid": "CA1", "status": "answered",
                                              "sip_code": 183}).get_json()
    assert answer["status"] == "in-progress"


def test_late_callback_is_answered_not_applied(client):
    client.post("/sip-status", json={"call_sid": "CA1", "status": "completed"})
    answer = client.post("/sip-status", json={"call_sid": "CA1", "status": "ringing"}).get_json()
    assert (answer["status"], answer["applied"]) == ("completed", False)


@pytest.mark.parametrize(("body", "status", "error", "field"), [
    ({"status": "ringing"}, 400, "call_sid required", None),
    ({"CallStatus": "ringing"}, 400, "call_sid required", None),
    ({"call_sid": "CA1"}, 400, "status required", "status"),
    ({"call_sid": "CA1", "status": "dancing"}, 400, "accepted: queued, initiated", "status"),
    ({"call_sid": "CA1", "sip_code": 199}, 400, "sip_code 199", "sip_code"),
    ({"call_sid": "CA1", "sip_code": 99}, 400, "sip_code", "sip_code"),
    ({"call_sid": "CA1", "status": "ringing", "sequence": -1}, 400, "sequence", "sequence"),
    ({"call_sid": "CA1", "status": "ringing", "sequence": 1.5}, 400, "sequence", "sequence"),
    ({"call_sid": "CA1", "status": "ringing", "duration": "x"}, 400, "duration", "duration"),
    ({"call_sid": "CA1", "status": "ringing", "timestamp": {"a": 1}}, 400, "timestamp", "timestamp"),
    ({"call_sid": "CA1", "status": 5}, 400, "status", "status"),
])
def test_unusable_callbacks_are_refused(client, db, body, status, error, field):
    response = client.post("/sip-status", json=body)
    assert response.status_code == status
    answer = response.get_json()
    assert error in answer["error"]
    if field:
        assert field in answer["fields"]
    else:
        assert answer == {"error": error}
    assert db.dbsize() == 0


@pytest.mark.parametrize("body", [
    {"event": "inbound_call", "call_sid": "CA1"},
    {"event": "call.initiated", "call_sid": "CA1"},
    {"method": "INVITE", "call_sid": "CA1"},
    {"from": "+15559876543", "to": "+15551234567", "call_sid": "CA1"},
    {"From": "+15559876543", "To": "+15551234567", "CallSid": "CA1"},
])
def test_inbound_call_webhook_opens_the_status(client, db, body):
    assert client.post("/sip-webhook", json=body).status_code == 200
    assert db.hget(STATUS_KEY, "status") == "initiated"
    assert db.ttl(STATUS_KEY) > 0


def test_inbound_webhook_does_not_move_a_call_back(client, db):
    client.post("/sip-status", json={"call_sid": "CA1", "status": "in-progress"})
    client.post("/sip-webhook", json={"event": "inbound_call", "call_sid": "CA1"})
    assert db.hget(STATUS_KEY, "status") == "in-progress"


@pytest.mark.parametrize("body", [
    {"event": "recording.ready", "call_sid": "CA1"},
    {"event": "inbound_call"},
    {"from": "+15559876543", "call_sid": "CA1"},
])
def test_other_webhooks_leave_the_status_alone(client, db, body):
    client.post("/sip-webhook", json=body)
    assert db.exists(STATUS_KEY) == 0


@pytest.mark.parametrize("header", ["webhook-id", "Idempotency-Key"])
@pytest.mark.parametrize(("path", "body"), [
    ("/sip-webhook", {"event": "inbound_call", "call_sid": "CA1"}),
    ("/sip-status", {"call_sid": "CA1", "status": "ringing"}),
])
def test_retried_delivery_is_a_duplicate(client, db, header, path, body):
    first = client.post(path, json=body, headers={header: "msg_abc"}).get_json()
    again = client.post(path, json=body, headers={header: "msg_abc"})

    assert again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert again.get_json()["event_id"] == first["event_id"]
    assert "duplicate" not in first
    assert db.xlen(f"burki:sip:events{path.replace('/sip-', ':')}") == 1


@pytest.mark.parametrize("value", ["", "has space", "x" * 201])
def test_unusable_delivery_id_is_refused(client, db, value):
    response = client.post("/sip-webhook", json={"a": 1}, headers={"webhook-id": value})
    assert response.status_code == 400
    assert "webhook-id" in response.get_json()["error"]
    assert db.dbsize() == 0


def test_prewarmed_context_can_be_read_back(client, seed_prewarm):
    client.post("/sip-prewarm", json=seed_prewarm)
    answer = client.get("/sip-prewarm/sip-20260430-abc123").get_json()

    assert answer["call_sid"] == "sip-20260430-abc123"
    assert answer["context"]["variables"] == {"customer_id": "cust_123"}
    assert 295 <= answer["ttl"] <= 300
    assert answer["claimed"] is False


def test_status_can_be_read_back(client):
    for status in ("ringing", "in-progress"):
        client.post("/sip-status", json={"call_sid": "CA1", "status": status})
    answer = client.get("/sip-status/CA1").get_json()

    assert answer["status"] == "in-progress" and answer["terminal"] is False
    assert list(answer["timeline"]) == ["ringing", "in-progress"]
    assert answer["ttl"] > 0


@pytest.mark.parametrize("path", ["/sip-prewarm/unknown", "/sip-status/unknown"])
def test_unknown_calls_are_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "unknown" in response.get_json()["error"]


@pytest.mark.parametrize("path", ["/sip-prewarm/{x}", "/sip-status/" + "x" * 129])
def test_unusable_call_sid_in_path_is_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "call_sid" in response.get_json()["fields"]
