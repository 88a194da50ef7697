"""Every provider's documented payloads, posted as the provider posts them: each lifecycle step it
has lands on the canonical status, under the provider's call id, with ``provider`` in the entry."""

import pytest

from providers_support import last_entry, post

TWILIO = "CAf0e1d2c3b4a5968778695a4b3c2d1e0f"
TWILIO_DIALLED = "CA" + "1" * 32
TWILIO_DIALLED_NEXT = "CA" + "2" * 32
LAML = "b3877c40-da60-4998-90ad-b792e984720a"
RELAY = "b5d63b2e-f75b-4dc8-b6d4-269b635f96c0"
TEXML = "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ"
CALL_CONTROL = "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg"
JAMBONZ = "b5e39996-bd2f-4bda-b928-355147186a2a"
VONAGE = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
PLIVO = "85ccd4c1-9a2b-4f24-8a77-4d3d2c0c8b1a"
LIVEKIT = "SCL_wkhT4Sx4yyHu"

# (provider, fixtures posted in order, the provider's call id, the call's status after them).
# A "hangup"-like ending that does not say itself whether the call was answered (a Telnyx
# normal_clearing without a 2xx sip_hangup_cause, Relay hangup, LiveKit participant_left) is
# completed only after an answer, so those steps are posted after the answered one too.
STEPS = [
    *[("twilio", [f"status-{step}"], TWILIO, status) for step, status in (
        ("initiated", "initiated"), ("ringing", "ringing"), ("answered", "in-progress"),
        ("completed", "completed"), ("busy", "busy"), ("no-answer", "no-answer"),
        ("failed", "failed"), ("canceled", "canceled"))],
    ("twilio", ["webhook-ringing"], TWILIO, "ringing"),
    # A <Dial> action callback is about the call that dialled: its own CallStatus moves it.
    *[("twilio", [f"webhook-dial-{step}"], TWILIO, "in-progress")
      for step in ("completed", "busy", "no-answer", "failed", "canceled")],
    ("twilio", ["webhook-dial-completed-hangup"], TWILIO, "completed"),
    *[("signalwire", [f"status-{step}"], LAML, status) for step, status in (
        ("initiated", "initiated"), ("ringing", "ringing"), ("answered", "in-progress"),
        ("completed", "completed"), ("busy", "busy"), ("no-answer", "no-answer"),
        ("failed", "failed"), ("canceled", "canceled"))],
    *[("signalwire", [f"status-relay-{step}"], RELAY, status) for step, status in (
        ("initiated", "initiated"), ("ringing", "ringing"), ("answered", "in-progress"),
        ("busy", "busy"), ("no-answer", "no-answer"), ("failed", "failed"),
        ("failed-decline", "failed"), ("canceled", "canceled"))],
    ("signalwire", ["status-relay-answered", "status-relay-completed"], RELAY, "completed"),
    ("signalwire", ["status-relay-answered", "status-relay-ending"], RELAY, "in-progress"),
    *[("telnyx", [f"status-{step}"], TEXML, status) for step, status in (
        ("initiated", "initiated"), ("ringing", "ringing"), ("answered", "in-progress"),
        ("completed", "completed"), ("busy", "busy"), ("no-answer", "no-answer"),
        ("failed", "failed"), ("canceled", "canceled"), ("completed-dial", "completed"))],
    *[("telnyx", [f"webhook-{step}"], CALL_CONTROL, status) for step, status in (
        ("initiated", "initiated"), ("initiated-incoming", "initiated"),
        ("answered", "in-progress"), ("completed", "completed"), ("busy", "busy"),
        ("no-answer", "no-answer"), ("failed", "failed"), ("canceled", "canceled"),
        ("hangup-unspecified", "canceled"))],
    ("telnyx", ["webhook-answered", "webhook-completed"], CALL_CONTROL, "completed"),
    ("telnyx", ["webhook-answered", "webhook-hangup-unspecified"], CALL_CONTROL, "completed"),
    *[("jambonz", [f"status-{step}"], JAMBONZ, status) for step, status in (
        ("trying", "initiated"), ("ringing", "ringing"), ("early-media", "early-media"),
        ("answered", "in-progress"), ("completed", "completed"), ("busy", "busy"),
        ("no-answer", "no-answer"), ("failed", "failed"), ("canceled", "canceled"))],
    ("jambonz", ["webhook-ringing"], JAMBONZ, "initiated"),
    *[("vonage", [f"status-{step}"], VONAGE, status) for step, status in (
        ("initiated", "initiated"), ("ringing", "ringing"), ("answered", "in-progress"),
        ("completed", "completed"), ("busy", "busy"), ("no-answer", "no-answer"),
        ("no-answer-unanswered", "no-answer"), ("failed", "failed"),
        ("failed-rejected", "failed"), ("canceled", "canceled"))],
    ("vonage", ["webhook-answer"], VONAGE, "initiated"),
    *[("plivo", [f"status-{step}"], PLIVO, status) for step, status in (
        ("ringing", "ringing"), ("answered", "in-progress"), ("completed", "completed"),
        ("busy", "busy"), ("no-answer", "no-answer"), ("no-answer-timeout", "no-answer"),
        ("failed", "failed"), ("canceled", "canceled"))],
    ("plivo", ["webhook-ringing"], PLIVO, "ringing"),
    *[("livekit", [f"webhook-{step}"], LIVEKIT, status) for step, status in (
        ("dialing", "initiated"), ("ringing", "ringing"), ("answered", "in-progress"),
        ("busy", "busy"), ("no-answer", "no-answer"), ("failed", "failed"))],
    ("livekit", ["webhook-answered", "webhook-completed"], LIVEKIT, "completed"),
]


@pytest.mark.parametrize(("provider", "steps", "call_id", "status"), STEPS,
                         ids=[f"{p}:{'+'.join(s)}" for p, s, _, _ in STEPS])
def test_each_documented_step_reaches_its_status(any_app, provider, steps, call_id, status):
    client = any_app.test_client()
    for step in steps:
        assert post(client, provider, step).status_code == 200, step
    kind = "status" if steps[-1].startswith("status-") else "webhook"
    entry = last_entry(any_app, kind)
    assert (entry["provider"], entry["provider_call_id"], entry["call_sid"]) == (
        provider, call_id, call_id)
    assert "unattributed" not in entry
    answer = client.get(f"/sip-status/{call_id}").get_json()
    assert answer["status"] == status


def test_telnyx_call_answered_on_the_webhook_route_moves_the_call(any_client):
    post(any_client, "telnyx", "webhook-initiated")
    assert any_client.get(f"/sip-status/{CALL_CONTROL}").get_json()["status"] == "initiated"
    post(any_client, "telnyx", "webhook-answered")
    assert any_client.get(f"/sip-status/{CALL_CONTROL}").get_json()["status"] == "in-progress"


def test_a_status_route_event_that_says_nothing_of_the_state_is_recorded_not_applied(
        any_client, any_app):
    answer = post(any_client, "signalwire", "status-relay-ending").get_json()
    assert (answer["call_sid"], answer["status"], answer["applied"]) == (RELAY, None, False)
    entry = last_entry(any_app, "status")
    assert (entry["provider"], entry["call_sid"]) == ("signalwire", RELAY)
    assert "status" not in entry


def test_facts_of_the_provider_are_kept(any_client):
    post(any_client, "twilio", "status-answered")
    post(any_client, "twilio", "status-completed")
    state = any_client.get(f"/sip-status/{TWILIO}").get_json()
    assert (state["sip_code"], state["duration"], state["sequence"]) == ("200", "42", "3")
    post(any_client, "telnyx", "webhook-busy")
    state = any_client.get(f"/sip-status/{CALL_CONTROL}").get_json()
    assert (state["sip_code"], state["reason"]) == ("486", "user_busy")
