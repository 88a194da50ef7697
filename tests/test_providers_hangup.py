"""A hangup that arrives without the events before it: what the hangup itself says decides (a 2xx
final response: answered), else the call's own history does (record.lua)."""

import json

import pytest

from burki_sip import create_app
from providers_support import fixture, last_entry, post
from test_providers_fixtures import CALL_CONTROL


@pytest.fixture
def client(any_redis):
    return create_app({"TESTING": True}, redis_client=any_redis).test_client()


def state(client, call_sid: str = CALL_CONTROL) -> dict:
    return client.get(f"/sip-status/{call_sid}").get_json()


@pytest.mark.parametrize("route", ["/sip-webhook", "/sip-status"])
def test_a_telnyx_normal_clearing_after_a_200_posted_alone_is_completed(client, route):
    _, body, content_type = fixture("telnyx", "webhook-completed")
    answer = client.post(route, data=body, content_type=content_type)
    assert answer.status_code == 200
    call = state(client)
    assert (call["status"], call["sip_code"], call["reason"]) == (
        "completed", "200", "normal_clearing")
    assert list(call["timeline"]) == ["completed"]


def test_the_hangup_after_an_unseen_answer_completes_a_call_that_was_only_initiated(client):
    post(client, "telnyx", "webhook-initiated")
    post(client, "telnyx", "webhook-completed")  # call.answered never arrived
    call = state(client)
    assert call["status"] == "completed"
    assert list(call["timeline"]) == ["initiated", "completed"]


def test_a_hangup_that_does_not_say_is_decided_by_the_calls_history(client):
    post(client, "telnyx", "webhook-hangup-unspecified")  # inbound: no SIP code to tell
    assert state(client)["status"] == "canceled"
    other = "v3:another-call"
    for name in ("webhook-answered", "webhook-hangup-unspecified"):
        _, raw, content_type = fixture("telnyx", name)
        body = json.loads(raw)
        body["data"]["payload"]["call_control_id"] = other
        client.post("/sip-webhook", json=body)
    assert state(client, other)["status"] == "completed"


def test_an_incoming_call_initiated_is_initiated_and_moves_on(client):
    post(client, "telnyx", "webhook-initiated-incoming")
    assert state(client)["status"] == "initiated"
    post(client, "telnyx", "webhook-answered")
    assert state(client)["status"] == "in-progress"
    assert list(state(client)["timeline"]) == ["initiated", "in-progress"]


@pytest.mark.parametrize(("steps", "status"), [
    ([{"status": "hangup", "sip_code": 200}], "completed"),
    ([{"status": "hangup"}], "canceled"),
    ([{"status": "hangup", "sip_code": 487}], "canceled"),
    ([{"status": "in-progress"}, {"status": "hangup", "sip_code": 487}], "completed"),
    ([{"status": "ringing"}, {"status": "ended", "sip_code": 200}], "completed"),
])
def test_the_bridges_own_hangup_follows_the_same_rule(client, steps, status):
    for step in steps:
        assert client.post("/sip-status", json={"call_sid": "sip-1", **step}).status_code == 200
    assert state(client, "sip-1")["status"] == status


def test_the_entry_says_how_the_hangup_was_resolved(client, any_redis):
    app = create_app({"TESTING": True}, redis_client=any_redis)
    post(app.test_client(), "telnyx", "webhook-completed")
    entry = last_entry(app, "webhook")
    assert (entry["status"], entry["applied"]) == ("completed", "true")
