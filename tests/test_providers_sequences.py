"""A whole call per provider, as each provider reports it, read back with GET /sip-status/<call>."""

import pytest

from providers_support import post
from test_providers_fixtures import (CALL_CONTROL, JAMBONZ, LAML, LIVEKIT, PLIVO, RELAY, TEXML,
                                     TWILIO, VONAGE)

# (provider, the fixtures of one answered call in the order the provider sends them, call id,
#  the statuses its timeline shows at the end).
CALLS = [
    ("twilio", ["webhook-ringing", "status-answered", "status-completed"], TWILIO,
     ["ringing", "in-progress", "completed"]),
    ("twilio", ["status-initiated", "status-ringing", "status-answered", "status-completed"],
     TWILIO, ["initiated", "ringing", "in-progress", "completed"]),
    # An inbound call that <Dial>s a busy agent, then a second one who answers.
    ("twilio", ["webhook-ringing", "webhook-dial-busy", "webhook-dial-completed",
                "status-completed"], TWILIO, ["ringing", "in-progress", "completed"]),
    ("signalwire", ["status-initiated", "status-ringing", "status-answered", "status-completed"],
     LAML, ["initiated", "ringing", "in-progress", "completed"]),
    ("signalwire", ["status-relay-initiated", "status-relay-ringing", "status-relay-answered",
                    "status-relay-ending", "status-relay-completed"], RELAY,
     ["initiated", "ringing", "in-progress", "completed"]),
    ("telnyx", ["webhook-initiated", "webhook-answered", "webhook-completed"], CALL_CONTROL,
     ["initiated", "in-progress", "completed"]),
    ("telnyx", ["status-initiated", "status-ringing", "status-answered", "status-completed"],
     TEXML, ["initiated", "ringing", "in-progress", "completed"]),
    # An incoming call whose call.answered never arrived: its hangup's 200 says it was answered.
    ("telnyx", ["webhook-initiated-incoming", "webhook-completed"], CALL_CONTROL,
     ["initiated", "completed"]),
    ("jambonz", ["webhook-ringing", "status-ringing", "status-early-media", "status-answered",
                 "status-completed"], JAMBONZ,
     ["initiated", "ringing", "early-media", "in-progress", "completed"]),
    ("vonage", ["status-initiated", "status-ringing", "status-answered", "status-completed"],
     VONAGE, ["initiated", "ringing", "in-progress", "completed"]),
    # The same calls with every hook sent as GET, its fields in the URL's query.
    ("jambonz", ["webhook-initiated.query", "status-ringing.query", "status-answered.query",
                 "status-completed.query"], JAMBONZ,
     ["initiated", "ringing", "in-progress", "completed"]),
    ("vonage", ["webhook-answer.query", "status-ringing.query", "status-answered.query",
                "status-completed.query"], VONAGE,
     ["initiated", "ringing", "in-progress", "completed"]),
    ("plivo", ["webhook-ringing", "status-answered", "status-completed"], PLIVO,
     ["ringing", "in-progress", "completed"]),
    ("livekit", ["webhook-dialing", "webhook-ringing", "webhook-answered", "webhook-completed"],
     LIVEKIT, ["initiated", "ringing", "in-progress", "completed"]),
]


@pytest.mark.parametrize(("provider", "steps", "call_id", "timeline"), CALLS,
                         ids=[f"{p}:{s[0]}" for p, s, _, _ in CALLS])
def test_a_whole_call_reads_back_as_one_lifecycle(any_client, provider, steps, call_id, timeline):
    for step in steps:
        assert post(any_client, provider, step).status_code == 200, step
    state = any_client.get(f"/sip-status/{call_id}").get_json()
    assert state["status"] == "completed" and state["terminal"] is True
    assert list(state["timeline"]) == timeline


@pytest.mark.parametrize(("provider", "steps", "call_id", "final"), [
    ("twilio", ["webhook-ringing", "status-answered", "status-completed"], TWILIO,
     "completed"),  # Twilio says "completed" itself
    ("telnyx", ["webhook-initiated", "webhook-answered", "webhook-completed"], CALL_CONTROL,
     "completed"),  # Telnyx's normal_clearing after a 200 says it was answered
    ("telnyx", ["webhook-initiated", "webhook-answered", "webhook-hangup-unspecified"],
     CALL_CONTROL, "canceled"),    # a hangup that does not say, seen before any answer
], ids=["twilio", "telnyx", "telnyx-unspecified"])
def test_a_call_reported_backwards_ends_once(any_client, provider, steps, call_id, final):
    for step in reversed(steps):
        post(any_client, provider, step)
    state = any_client.get(f"/sip-status/{call_id}").get_json()
    assert state["status"] == final and state["terminal"] is True
    assert "in-progress" in state["timeline"]  # late steps still add their time (lifecycle.md)
