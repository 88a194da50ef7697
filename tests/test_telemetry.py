"""The access line carries what each request did, so one call can be followed by call_sid alone;
OPTIONS answers like every other route, never with an HTML page."""

import json

import pytest


def access_lines(capsys) -> list[dict]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return [line for line in lines if line["logger"] == "burki_sip.access"]


def test_one_call_followed_by_call_sid(client, capsys, seed_prewarm):
    capsys.readouterr()
    sid = seed_prewarm["call_sid"]
    client.post("/sip-prewarm", json=seed_prewarm)
    client.post("/sip-webhook", json={"event": "inbound_call", "call_sid": sid, "from": "+1555",
                                      "to": "+1556"})
    client.post("/sip-status", data={"CallSid": sid, "CallStatus": "in-progress"},
                headers={"Idempotency-Key": "d-1"})
    client.post("/sip-status", data={"CallSid": sid, "CallStatus": "in-progress"},
                headers={"Idempotency-Key": "d-1"})  # the provider's retry
    client.post("/sip-status", json={"call_sid": sid, "status": "ringing"})  # late

    prewarm, webhook, status, retry, late = [line for line in access_lines(capsys)
                                             if line.get("call_sid") == sid]
    assert prewarm["prewarmed"] is True
    assert webhook["event_id"] and webhook["duplicate"] is False
    assert (webhook["call_status"], webhook["applied"]) == ("initiated", True)
    assert status["event_id"] and (status["call_status"], status["applied"]) == ("in-progress", True)
    assert status["status"] == 200  # the HTTP status stays the HTTP status
    assert retry["duplicate"] is True and retry["event_id"] == status["event_id"]
    assert (late["call_status"], late["applied"]) == ("in-progress", False)


def test_a_webhook_without_a_lifecycle_change_has_no_call_status(client, capsys):
    capsys.readouterr()
    client.post("/sip-webhook", json={"event": "dtmf", "call_sid": "c1", "digit": "5"})
    [line] = access_lines(capsys)
    assert line["event_id"] and "call_status" not in line and "applied" not in line


def test_a_view_cannot_overwrite_the_request_fields(app, capsys):
    from burki_sip.web.telemetry import note_outcome

    @app.get("/noted")
    def noted():
        note_outcome(status="hijacked", claimed=True)
        return {}

    capsys.readouterr()
    app.test_client().get("/noted")
    [line] = access_lines(capsys)
    assert line["status"] == 200 and line["claimed"] is True


@pytest.mark.parametrize("path", ["/sip-prewarm", "/sip-webhook", "/sip-status",
                                  "/sip-status/c1", "/sip-prewarm/c1", "/healthz", "/readyz",
                                  "/metrics", "/openapi.json"])
def test_options_has_allow_and_no_html(client, path):
    response = client.options(path)
    assert response.status_code == 204
    assert response.content_type is None or "html" not in response.content_type
    assert response.data == b"" and "OPTIONS" in response.headers["Allow"]


def test_options_of_an_unknown_path_is_a_json_404(client):
    response = client.options("/nope")
    assert response.status_code == 404 and response.get_json() == {"error": "not found"}


def test_options_needs_the_key_when_one_is_set(fake_redis):
    from burki_sip import create_app

    client = create_app({"TESTING": True, "SIP_INBOUND_API_KEYS": "k1"},
                        redis_client=fake_redis).test_client()
    refused = client.options("/sip-prewarm")
    assert refused.status_code == 401 and "error" in refused.get_json()
    assert client.options("/sip-prewarm", headers={"X-API-Key": "k1"}).status_code == 204


def test_the_access_line_hides_secrets_and_numbers_a_caller_put_in_it(fake_redis, capsys):
    """The path, the call_sid and a claim's owner are the caller's text: a key pasted into them,
    or a phone number used as a call id, is redacted there as in any other log line."""
    from burki_sip import create_app

    key, number = "key-7f3a9c1e5b2d4f60", "+4915112345678"
    client = create_app({"TESTING": True, "SIP_INBOUND_API_KEYS": key},
                        redis_client=fake_redis).test_client()
    headers = {"X-API-Key": key}
    capsys.readouterr()
    client.get(f"/sip-status/{key}", headers=headers)
    client.post("/sip-prewarm", json={"call_sid": number}, headers=headers)
    client.post(f"/sip-prewarm/{number}/claim", json={"owner": f"stream {key}"}, headers=headers)

    missing, prewarm, claim = access_lines(capsys)
    assert (missing["status"], prewarm["status"], claim["status"]) == (404, 200, 200)
    assert missing["call_sid"] == "[redacted]" and missing["path"] == "/sip-status/[redacted]"
    assert prewarm["call_sid"] == claim["call_sid"] == "+49*******5678"
    assert claim["path"] == "/sip-prewarm/+49*******5678/claim"
    assert claim["owner"] == "stream [redacted]"
    lines = json.dumps([missing, prewarm, claim])
    assert key not in lines and "15112345678" not in lines
