"""A hangup that arrives without the events before it: what the hangup itself says decides (a 2xx
final response: answered), else the call's own history does (record.lua)."""

import json

import pytest

from providers_support import fixture, last_entry, post
from test_providers_fixtures import CALL_CONTROL


def state(client, call_sid: str = CALL_CONTROL) -> dict:
    return client.get(f"/sip-status/{call_sid}").get_json()


@pytest.mark.parametrize("route", ["/sip-webhook", "/sip-status"])
def test_a_telnyx_normal_clearing_after_a_200_posted_alone_is_completed(any_client, route):
    _, body, content_type = fixture("telnyx", "webhook-completed")
    answer = any_client.post(route, data=body, content_type=content_type)
    assert answer.status_code == 200
    call = state(any_client)
    assert (call["status"], call["sip_code"], call["reason"]) == (
        "completed", "200", "normal_clearing")
    assert list(call["timeline"]) == ["completed"]


def test_the_hangup_after_an_unseen_answer_completes_a_call_that_was_only_initiated(any_client):
    post(any_client, "telnyx", "webhook-initiated")
    post(any_client, "telnyx", "webhook-completed")  # call.answered never arrived
    call = state(any_client)
    assert call["status"] == "completed"
    assert list(call["timeline"]) == ["initiated", "completed"]


def test_a_hangup_that_does_not_say_is_decided_by_the_calls_history(any_client):
    post(any_client, "telnyx", "webhook-hangup-unspecified")  # inbound: no SIP code to tell
    assert state(any_client)["status"] == "canceled"
    other = "v3:another-call"
    for name in ("webhook-answered", "webhook-hangup-unspecified"):
        _, raw, content_type = fixture("telnyx", name)
        body = json.loads(raw)
        body["data"]["payload"]["call_control_id"] = other
        any_client.post("/sip-webhook", json=body)
    assert state(any_client, other)["status"] == "completed"


def test_an_incoming_call_initiated_is_initiated_and_moves_on(any_client):
    post(any_client, "telnyx", "webhook-initiated-incoming")
    assert state(any_client)["status"] == "initiated"
    post(any_client, "telnyx", "webhook-answered")
    assert state(any_client)["status"] == "in-progress"
    assert list(state(any_client)["timeline"]) == ["initiated", "in-progress"]


@pytest.mark.parametrize(("steps", "status"), [
    ([{"status": "hangup", "sip_code": 200}], "completed"),
    ([{"status": "hangup"}], "canceled"),
    ([{"status": "hangup", "sip_code": 487}], "canceled"),
    ([{"status": "in-progress"}, {"status": "hangup", "sip_code": 487}], "completed"),
    ([{"status": "ringing"}, {"status": "ended", "sip_code": 200}], "completed"),
])
def test_the_bridges_own_hangup_follows_the_same_rule(any_client, steps, status):
    for step in steps:
        answer = any_client.post("/sip-status", json={"call_sid": "sip-1", **step})
        assert answer.status_code == 200
    assert state(any_client, "sip-1")["status"] == status


def test_the_entry_says_how_the_hangup_was_resolved(any_client, any_app):
    post(any_client, "telnyx", "webhook-completed")
    entry = last_entry(any_app, "webhook")
    assert (entry["status"], entry["applied"]) == ("completed", "true")
