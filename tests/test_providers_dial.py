"""A Twilio ``<Dial action>`` callback belongs to the call that dialled (``CallSid``): its own
``CallStatus`` moves it, and the dialled leg's outcome becomes facts of it (``dial_*``)."""

import json

import pytest

from burki_sip.calls.lifecycle import DIAL_FACTS
from burki_sip.web.providers import twilio
from burki_sip.web.responses import CallStatusSchema
from providers_support import fields, fixture, last_entry, post
from test_providers_fixtures import TEXML, TWILIO, TWILIO_DIALLED, TWILIO_DIALLED_NEXT


def call(client, call_sid: str = TWILIO) -> dict:
    return client.get(f"/sip-status/{call_sid}").get_json()


@pytest.mark.parametrize(("name", "outcome", "code", "duration", "leg"), [
    ("webhook-dial-busy", "busy", "486", "0", TWILIO_DIALLED),
    ("webhook-dial-no-answer", "no-answer", "487", "0", TWILIO_DIALLED),
    ("webhook-dial-failed", "failed", "503", "0", TWILIO_DIALLED),
    ("webhook-dial-canceled", "canceled", "487", "0", TWILIO_DIALLED),
    ("webhook-dial-completed", "completed", "200", "42", TWILIO_DIALLED_NEXT),
])
def test_the_dialled_legs_outcome_is_a_fact_of_the_parent(any_app, any_client, name, outcome,
                                                          code, duration, leg):
    assert post(any_client, "twilio", name).status_code == 200
    state = call(any_client)
    assert state["status"] == "in-progress"  # the parent's own CallStatus
    assert (state["dial_status"], state["dial_sip_code"], state["dial_duration"],
            state["dial_call_sid"]) == (outcome, code, duration, leg)
    assert "sip_code" not in state and "duration" not in state  # the leg's, not the parent's
    entry = last_entry(any_app, "webhook")
    assert (entry["call_sid"], entry["provider_call_id"]) == (TWILIO, TWILIO)
    assert any_client.get(f"/sip-status/{leg}").status_code == 404  # no call opened for the leg


def test_telnyx_texml_reports_its_dialled_leg_the_same_way(any_client):
    # Telnyx's documented completed callback of a TeXML call that ran <Dial>.
    assert post(any_client, "telnyx", "status-completed-dial").status_code == 200
    state = call(any_client, TEXML)
    assert (state["status"], state["duration"], state["dial_status"], state["dial_duration"],
            state["dial_call_sid"]) == ("completed", "45", "completed", "120", TEXML)


def test_the_status_route_reads_a_dial_action_the_same_way(any_client):
    _, body, content_type = fixture("twilio", "webhook-dial-busy")
    answer = any_client.post("/sip-status", data=body, content_type=content_type).get_json()
    assert (answer["call_sid"], answer["status"], answer["applied"]) == (
        TWILIO, "in-progress", True)
    assert call(any_client)["dial_status"] == "busy"


def test_a_caller_who_hung_up_ends_the_parent_and_keeps_the_legs_outcome(any_client):
    post(any_client, "twilio", "webhook-ringing")
    post(any_client, "twilio", "webhook-dial-completed-hangup")
    state = call(any_client)
    assert (state["status"], state["dial_status"], state["dial_duration"]) == (
        "completed", "completed", "42")
    assert list(state["timeline"]) == ["ringing", "completed"]


def test_the_latest_dial_is_the_one_the_call_shows(any_client, any_app):
    # A hunt: the first agent is busy, the action answers with a second <Dial>, which connects.
    for name in ("webhook-ringing", "webhook-dial-busy", "webhook-dial-completed",
                 "status-completed"):
        assert post(any_client, "twilio", name).status_code == 200
    state = call(any_client)
    assert (state["status"], state["dial_status"], state["dial_call_sid"],
            state["dial_sip_code"]) == ("completed", "completed", TWILIO_DIALLED_NEXT, "200")
    # The parent's own facts stay its own; every dial is in the call's events.
    assert (state["sip_code"], state["duration"]) == ("200", "42")
    store = any_app.extensions["burki_sip"]
    dials = [json.loads(entry["payload"]).get("DialCallStatus")
             for _, entry in store.call_events(TWILIO) if entry]
    assert dials == [None, "busy", "completed", None]


def test_the_cli_shows_the_dial_facts(any_client, any_runner):
    post(any_client, "twilio", "webhook-dial-busy")
    result = any_runner.invoke(args=["call", TWILIO])  # on the same app and Redis
    assert result.exit_code == 0, result.output
    assert "    dial_status: busy\n" in result.output
    assert f"    dial_call_sid: {TWILIO_DIALLED}\n" in result.output
    as_json = any_runner.invoke(args=["call", TWILIO, "--json"])
    assert json.loads(as_json.output)["status"]["dial_sip_code"] == "486"


def test_a_leg_id_that_is_no_call_sid_is_left_out(any_client):
    _, raw, _ = fixture("twilio", "webhook-dial-busy")
    body = {**fields(raw), "DialCallSid": "has space", "DialSipResponseCode": "99"}
    assert any_client.post("/sip-webhook", data=body).status_code == 200
    state = call(any_client)
    assert state["dial_status"] == "busy"
    assert "dial_call_sid" not in state and "dial_sip_code" not in state


def test_every_dial_fact_is_shown_and_declared():
    _, raw, _ = fixture("twilio", "webhook-dial-busy")
    assert set(twilio.read(fields(raw)).event_facts) == set(DIAL_FACTS)
    assert set(DIAL_FACTS) <= set(CallStatusSchema().fields)


def test_a_status_callback_carries_no_dial_facts():
    _, raw, _ = fixture("twilio", "status-completed")
    assert twilio.read(fields(raw)).event_facts == {}
