"""Property-based tests: arbitrary JSON, forms, headers and bytes at every SIP route.

Whatever arrives: never a 500, every error is a JSON body with an ``error`` string, and a refused
request leaves Redis exactly as it was. The examples are derandomized (the same on every run, so
CI cannot flake) and bounded so the file runs in seconds.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest
from fakeredis import FakeRedis, FakeServer
from hypothesis import HealthCheck, given, settings, strategies as st

from burki_sip import create_app
from security_support import KEY, VECTOR_SECRET, snapshot

FUZZ = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

POSTS = ["/sip-prewarm", "/sip-webhook", "/sip-status"]
GETS = ["/sip-prewarm/", "/sip-status/"]
FIELDS = ["call_sid", "CallSid", "status", "CallStatus", "sip_code", "SipResponseCode", "sequence",
          "timestamp", "duration", "reason", "from", "to", "From", "To", "from_number",
          "to_number", "outbound", "assistant_id", "welcome_message", "agenda", "variables",
          "event", "type"]
HEADER_NAMES = ["Authorization", "X-API-Key", "webhook-id", "webhook-timestamp",
                "webhook-signature", "Idempotency-Key", "X-Forwarded-For", "Content-Type",
                "X-Custom"]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data",
                 "multipart/form-data; boundary=xyz", "text/plain", "application/cloudevents+json",
                 ""]

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
           | st.sampled_from(["CA1", "ringing", "completed", "180", "+15559876543", "NaN", ""]))
json_values = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.text(max_size=10), children, max_size=4),
                           max_leaves=12)
STATUS_WORDS = ["ringing", "in-progress", "completed", "busy", "no-answer", "hangup", "bogus", ""]
extras = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), json_values, max_size=6)
# Bodies close to valid ones, so the examples get past the first checks too.
callbacks = st.builds(lambda sid, word, rest: {"call_sid": sid, "status": word, **rest},
                      st.sampled_from(["CA1", "CA2", "x" * 129, "a b"]),
                      st.sampled_from(STATUS_WORDS), extras)
json_objects = extras | callbacks
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                      blacklist_characters="\x7f"), max_size=60)
headers = st.dictionaries(st.sampled_from(HEADER_NAMES), header_values
                          | st.sampled_from([f"Bearer {KEY}", KEY, "v1,abc", "1700000000"]),
                          max_size=5)
form_values = st.text(max_size=40) | st.sampled_from(["CA1", "ringing", "busy", "486",
                                                      "+4915112345678"])
random_forms = st.dictionaries(st.sampled_from(FIELDS) | st.text(min_size=1, max_size=10),
                               st.lists(form_values, min_size=1, max_size=3), max_size=8)
forms = random_forms | st.builds(lambda word, rest: {"CallSid": "CA1", "CallStatus": word, **rest},
                                 st.sampled_from(STATUS_WORDS), random_forms)
# Small limits, so that some examples are over them.
LIMITS = {"MAX_CONTENT_LENGTH": 1024, "MAX_FORM_PARTS": 8}


class Target:
    """One app on one fake Redis, shared by the examples of a test (reset before each)."""

    def __init__(self, **settings_) -> None:
        self.redis = FakeRedis(server=FakeServer(), decode_responses=True)
        self.client = create_app({"TESTING": True, **LIMITS, **settings_},
                                 redis_client=self.redis).test_client()

    def reset(self) -> None:
        """An empty Redis, then one call prewarmed and ringing, so reads can find something."""
        self.redis.flushall()
        key = {"X-API-Key": KEY}
        prewarmed = self.client.post("/sip-prewarm", json={"call_sid": "CA1"}, headers=key)
        assert prewarmed.status_code == 200
        assert self.client.post("/sip-status", json={"call_sid": "CA1", "status": "ringing"},
                                headers=key).status_code == 200

    def check(self, send) -> None:
        """Send one request; assert the properties every answer must have."""
        self.reset()
        before = snapshot(self.redis)
        response = send(self.client)
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.is_json, response.get_data(as_text=True)
            assert isinstance(response.get_json()["error"], str)
            assert snapshot(self.redis) == before, response.get_json()
        elif response.status_code == 204:  # an automatic OPTIONS answer: Allow, no body
            assert response.data == b"" and "Allow" in response.headers
            assert "html" not in (response.content_type or "")
        elif response.status_code == 302:  # ``/`` leads a person to the API page
            assert response.headers["Location"] == "/docs/"
        else:
            assert response.status_code == 200 and response.is_json


@pytest.fixture(scope="module", params=["open", "secured"])
def target(request):
    logging.disable(logging.WARNING)  # thousands of refusals would be logged otherwise
    try:
        if request.param == "open":
            yield Target()
        else:
            yield Target(SIP_INBOUND_API_KEYS=KEY, SIP_WEBHOOK_SECRETS=VECTOR_SECRET)
    finally:
        logging.disable(logging.NOTSET)


@FUZZ
@given(path=st.sampled_from(POSTS), body=json_objects | json_values, sent=headers)
def test_arbitrary_json(target, path, body, sent):
    data = json.dumps(body)  # NaN and Infinity too: json.dumps writes them, the service refuses
    target.check(lambda client: client.post(path, data=data, content_type="application/json",
                                            headers=sent))


@FUZZ
@given(path=st.sampled_from(POSTS), form=forms, multipart=st.booleans(), sent=headers)
def test_arbitrary_forms(target, path, form, multipart, sent):
    kind = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
    target.check(lambda client: client.post(path, data=form, content_type=kind, headers=sent))


@FUZZ
@given(path=st.sampled_from(POSTS), data=st.binary(max_size=300),
       kind=st.sampled_from(CONTENT_TYPES), sent=headers)
def test_arbitrary_bytes(target, path, data, kind, sent):
    sent = {**sent, "Content-Type": kind}
    target.check(lambda client: client.post(path, data=data, headers=sent))


@FUZZ
@given(path=st.sampled_from(POSTS[1:]), fields=forms | extras, raw=st.text(max_size=80),
       sent=headers)
def test_arbitrary_queries_of_get_callbacks(target, path, fields, raw, sent):
    def send(client):
        pairs = [(name, value) for name, values in fields.items()
                 for value in (values if isinstance(values, list) else [values])]
        query = "&".join(f"{quote(str(name), safe='')}={quote(str(value), safe='')}"
                         for name, value in pairs)
        return client.get(f"{path}?{query}&{quote(raw, safe='=&')}", headers=sent)

    target.check(send)


@FUZZ
@given(path=st.sampled_from(GETS), call_sid=st.text(min_size=1, max_size=200) | st.just("CA1"),
       sent=headers)
def test_arbitrary_reads(target, path, call_sid, sent):
    target.check(lambda client: client.get(path + quote(call_sid, safe=""), headers=sent))


@FUZZ
@given(method=st.sampled_from(["get", "put", "patch", "delete", "options", "head"]),
       path=st.sampled_from(POSTS + ["/", "/sip-", "/sip-prewarm/a/b"]), sent=headers)
def test_other_methods_and_paths(target, method, path, sent):
    def send(client):
        return getattr(client, method)(path, headers=sent)

    if method == "head":  # a HEAD answer has no body by definition
        target.reset()
        assert send(target.client).status_code < 500
        return
    target.check(send)
