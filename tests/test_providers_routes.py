"""Detection, the call a payload is recorded under, unattributed webhooks and provider 400s."""

import json

import pytest
from prometheus_client import REGISTRY

from burki_sip.web.providers import registry
from providers_support import FORM, fields, fixture, last_entry, post
from test_providers_fixtures import CALL_CONTROL, JAMBONZ, LIVEKIT, TWILIO, VONAGE


def detected(provider: str, name: str) -> str:
    _, body, content_type = fixture(provider, name)
    decoded = fields(body) if content_type == FORM else json.loads(body)
    return registry.detect(decoded, {}, content_type == FORM).name


@pytest.mark.parametrize(("provider", "name"), [
    ("twilio", "status-completed"), ("twilio", "webhook-dial-busy"),
    ("signalwire", "status-completed"), ("signalwire", "status-relay-answered"),
    ("telnyx", "status-completed"), ("telnyx", "webhook-answered"),
    ("jambonz", "status-completed"), ("jambonz", "webhook-ringing"),
    ("vonage", "status-completed"), ("vonage", "webhook-answer"),
    ("plivo", "status-completed"), ("plivo", "webhook-ringing"),
    ("livekit", "webhook-completed"), ("livekit", "webhook-room_started"),
])
def test_each_payload_is_detected_from_its_body_alone(provider, name):
    assert detected(provider, name) == provider


@pytest.mark.parametrize(("body", "form", "headers", "name"), [
    ({"call_sid": "CA1", "status": "ringing"}, False, {}, "bridge"),
    ({"CallSid": "CA1", "CallStatus": "ringing"}, True, {}, "form"),
    ({"CallSid": "CA1", "CallStatus": "ringing"}, True, {"X-Twilio-Signature": "x"}, "twilio"),
    ({"CallSid": "CA1", "CallStatus": "ringing"}, True, {"X-SignalWire-Signature": "x"},
     "signalwire"),
    ({"call_sid": "c1", "status": "ringing"}, False, {"Jambonz-Signature": "t=1,v1=x"},
     "jambonz"),
    ({"CallStatus": "ringing"}, True, {"X-Plivo-Signature-V3": "x"}, "plivo"),
])
def test_headers_tell_providers_apart_when_the_body_does_not(body, form, headers, name):
    assert registry.detect(body, headers, form).name == name


def test_the_query_forces_a_provider(client, app):
    body = {"call_sid": "c-1", "call_status": "no-answer", "sip_status": 487}
    assert client.post("/sip-status", json=body).status_code == 200  # jambonz by its words
    answer = client.post("/sip-status?provider=bridge", json=body)
    assert answer.status_code == 400  # the bridge has no call_status: status required
    forced = client.post("/sip-status?provider=jambonz", json={"call_sid": "c-2",
                                                                "call_status": "busy"})
    assert forced.get_json()["status"] == "busy"
    assert last_entry(app, "status")["provider"] == "jambonz"


def test_an_unknown_forced_provider_is_refused_by_name(client):
    answer = client.post("/sip-status?provider=acme", json={"call_sid": "c", "status": "busy"})
    assert answer.status_code == 400
    assert answer.get_json()["error"].startswith("unknown provider 'acme'; accepted: telnyx")


def test_the_bridge_call_sid_in_the_callback_url_wins_and_the_provider_id_is_kept(client, app):
    answer = post(client, "twilio", "status-ringing", query="?call_sid=sip-20260430-abc123")
    assert answer.get_json()["call_sid"] == "sip-20260430-abc123"
    entry = last_entry(app, "status")
    assert (entry["call_sid"], entry["provider_call_id"]) == ("sip-20260430-abc123", TWILIO)
    assert client.get("/sip-status/sip-20260430-abc123").get_json()["status"] == "ringing"


def test_a_bridge_call_sid_added_to_a_provider_payload_wins(client, app):
    _, raw, _ = fixture("telnyx", "webhook-answered")
    client.post("/sip-webhook", json={**json.loads(raw), "call_sid": "sip-1"})
    entry = last_entry(app, "webhook")
    assert (entry["provider"], entry["call_sid"], entry["provider_call_id"]) == (
        "telnyx", "sip-1", CALL_CONTROL)
    assert client.get("/sip-status/sip-1").get_json()["status"] == "in-progress"


def unattributed(provider: str) -> float:
    return REGISTRY.get_sample_value("burki_sip_events_unattributed_total",
                                     {"provider": provider}) or 0.0


@pytest.mark.parametrize(("provider", "name", "body"), [
    ("livekit", "webhook-room_started", None),
    ("telnyx", "webhook-answered", b'{"data": {"record_type": "event", "event_type": '
                                   b'"call.answered", "payload": {}}}'),
    ("bridge", None, b'{"event": "heartbeat"}'),
])
def test_a_webhook_naming_no_call_is_recorded_counted_and_marked(client, app, provider, name,
                                                                 body):
    before = unattributed(provider)
    answer = (post(client, provider, name, body=body) if name else
              client.post("/sip-webhook", data=body, content_type="application/json"))
    assert answer.status_code == 200 and answer.get_json()["event_id"]
    entry = last_entry(app, "webhook")
    assert (entry["provider"], entry["unattributed"]) == (provider, "true")
    assert "call_sid" not in entry and "provider_call_id" not in entry
    assert unattributed(provider) == before + 1


def test_attributed_webhooks_are_not_counted_as_unattributed(client):
    before = unattributed("livekit")
    post(client, "livekit", "webhook-answered")
    assert unattributed("livekit") == before


@pytest.mark.parametrize(("provider", "name", "change", "error", "field"), [
    ("telnyx", "webhook-answered", lambda b: b["data"]["payload"].pop("call_control_id"),
     "telnyx callback without data.payload.call_control_id: it names no call",
     "data.payload.call_control_id"),
    ("vonage", "status-answered", lambda b: b.pop("uuid"),
     "vonage callback without uuid: it names no call", "uuid"),
    ("vonage", "status-answered", lambda b: b.pop("status"),
     "vonage callback has no call status: status missing", "status"),
    ("jambonz", "status-answered", lambda b: b.update(call_status="exploded"),
     "jambonz callback has no call status: call_status 'exploded' is not a status",
     "call_status"),
    ("livekit", "webhook-room_started", lambda b: None,
     "livekit callback without participant.attributes.sip.callID: it names no call",
     "participant.attributes.sip.callID"),
])
def test_a_status_callback_without_its_call_or_status_names_provider_and_field(
        client, fake_redis, provider, name, change, error, field):
    _, raw, content_type = fixture(provider, name)
    body = json.loads(raw)
    change(body)
    answer = client.post("/sip-status", data=json.dumps(body), content_type=content_type)
    assert answer.status_code == 400
    assert answer.get_json()["error"].startswith(error)
    assert field in answer.get_json()["fields"]
    assert fake_redis.keys("*") == []  # nothing recorded


@pytest.mark.parametrize(("name", "keep", "headers"), [
    ("status-refused-no-calluuid", None, {}),  # a hangup: ALegUUID, HangupCause, BillDuration...
    ("status-ringing", ("CallStatus", "Event", "RequestUUID"), {}),
    ("status-ringing", ("CallStatus", "Event", "From", "To"),
     {"X-Plivo-Signature-V3-Nonce": "05429567804466091622"}),
])
def test_a_plivo_callback_without_calluuid_is_refused_as_plivos(client, fake_redis, name, keep,
                                                                  headers):
    _, raw, _ = fixture("plivo", name)
    body = {k: v for k, v in fields(raw).items() if k != "CallUUID" and (not keep or k in keep)}
    answer = client.post("/sip-status", data=body, headers=headers)
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "plivo callback without CallUUID: it names no call",
                                 "fields": {"CallUUID": ["Missing data for required field."]}}
    assert fake_redis.keys("*") == []


def test_a_plivo_webhook_without_calluuid_is_recorded_as_plivos_unattributed(client, app):
    _, raw, _ = fixture("plivo", "status-refused-no-calluuid")
    assert client.post("/sip-webhook", data=fields(raw)).status_code == 200
    entry = last_entry(app, "webhook")
    assert (entry["provider"], entry["unattributed"]) == ("plivo", "true")


def test_a_twilio_style_form_with_a_hangup_cause_is_not_taken_for_plivo():
    body = {"CallSid": "CA1", "CallStatus": "completed", "HangupCause": "NORMAL_CLEARING"}
    assert registry.detect(body, {}, True).name == "form"


def test_form_providers_name_their_missing_fields_too(client):
    _, raw, _ = fixture("plivo", "status-completed")
    body = {k: v for k, v in fields(raw).items() if k != "CallStatus"}
    answer = client.post("/sip-status", data=body)
    assert answer.get_json()["error"] == "plivo callback has no call status: CallStatus missing"


@pytest.mark.parametrize(("provider", "name", "call_id"), [
    ("jambonz", "status-answered", JAMBONZ), ("vonage", "status-answered", VONAGE),
    ("livekit", "webhook-answered", LIVEKIT)])
def test_the_stream_entry_keeps_the_whole_payload(client, app, provider, name, call_id):
    _, raw, content_type = fixture(provider, name)
    post(client, provider, name)
    entry = last_entry(app, "status" if name.startswith("status") else "webhook")
    assert entry["payload"] == json.loads(raw)
    assert entry["content_type"] == content_type and entry["provider_call_id"] == call_id


def test_a_providers_odd_facts_are_left_out_not_refused(client):
    _, raw, _ = fixture("twilio", "status-completed")
    body = {**fields(raw), "CallDuration": str(2**40), "Timestamp": "x" * 100,
            "SipResponseCode": "999"}
    answer = client.post("/sip-status", data=body)
    assert (answer.status_code, answer.get_json()["status"]) == (200, "completed")
    state = client.get(f"/sip-status/{TWILIO}").get_json()
    assert "duration" not in state and "sip_code" not in state


def test_provider_entries_parse_as_issue_12s_event_schema(client, app):
    from burki_sip.calls.events import Event

    store = app.extensions["burki_sip"]
    post(client, "livekit", "webhook-room_started")
    post(client, "telnyx", "webhook-answered", headers={"Idempotency-Key": "d-1"})
    entries = store.client.xrange(store.keys.events("webhook"))
    unattributed, attributed = (Event.parse("webhook", entry_id, entry)
                                for entry_id, entry in entries)
    assert (unattributed.provider, unattributed.call_sid, unattributed.extra) == (
        "livekit", None, {"unattributed": "true"})
    assert (attributed.provider, attributed.provider_call_id, attributed.call_sid,
            attributed.status, attributed.delivery_id) == (
        "telnyx", CALL_CONTROL, CALL_CONTROL, "in-progress", "d-1")


def test_an_unattributed_retry_or_refusal_is_not_counted_again(client):
    before = unattributed("bridge")
    heartbeat = {"data": b'{"event": "heartbeat"}', "content_type": "application/json"}
    first = client.post("/sip-webhook", headers={"Idempotency-Key": "hb-1"}, **heartbeat)
    retry = client.post("/sip-webhook", headers={"Idempotency-Key": "hb-1"}, **heartbeat)
    refused = client.post("/sip-webhook", headers={"Idempotency-Key": " "}, **heartbeat)
    assert (first.status_code, retry.get_json().get("duplicate"), refused.status_code) == (
        200, True, 400)
    assert unattributed("bridge") == before + 1
