import json
import logging
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from burki_sip import config, create_app, credentials, parsers, redact
from burki_sip.web import redaction
from burki_sip.redact import RedactingFilter, mask_phone, redact_mapping, redact_text
from security_support import signed_headers

# Canary values: none of them may ever appear in a log line.
CANARY_KEY = "canary-key-7f3a9c1e5b2d4f60"
CANARY_WRONG_KEY = "canary-wrong-2d8e4b6a1c3f5e7d"
CANARY_SECRET = "whsec_Y2FuYXJ5LXNlY3JldC0zMi1ieXRlcy1sb25nLXh4eA=="
CANARY_PHONE = "+4915112345678"
CANARY_PHONE_DIGITS = "15112345678"  # what must not show, even without the "+49"


@pytest.mark.parametrize(("number", "masked"), [
    ("+15559876543", "+1******6543"),
    ("+1 (555) 987-6543", "+1******6543"),
    ("+4915112345678", "+49*******5678"),
    ("+442071838750", "+44******8750"),
    ("+35312345678", "+353****5678"),
    ("+79161234567", "+7******4567"),
    ("+3531234", "+353**34"),
    ("5559876543", "******6543"),
    ("12345", "***45"),
    ("sip:+4915112345678@carrier.example", "sip:+49*******5678@carrier.example"),
    ("sip:15559876543@pbx.example", "sip:*******6543@pbx.example"),
    ("tel:+15559876543", "tel:+1******6543"),
    ("anonymous", "anonymous"),
    ("", ""),
])
def test_phone_numbers_keep_the_country_code_and_the_last_digits(number, masked):
    assert mask_phone(number) == masked


@pytest.mark.parametrize(("text", "clean"), [
    ("Authorization: Bearer abc.def-123", "Authorization: [redacted]"),
    ('{"authorization": "Token abc", "x": 1}', '{"authorization": "[redacted]", "x": 1}'),
    ("sent bearer abcdefgh", "sent bearer [redacted]"),
    ("X-API-Key=k1k1k1k1; next", "X-API-Key=[redacted]; next"),
    ("'x-api-key': 'k1k1k1k1'", "'x-api-key': '[redacted]'"),
    ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw here", "secret whsec_[redacted] here"),
    ("sig v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= ok", "sig v1,[redacted] ok"),
    ("redis://:hunter2@db.example:6379/0", "redis://:[redacted]@db.example:6379/0"),
    ("call from +15559876543 ended", "call from +1******6543 ended"),
    ("event 1777550400000-0 at 2026-04-30T12:00:00.000+00:00 port 6379",
     "event 1777550400000-0 at 2026-04-30T12:00:00.000+00:00 port 6379"),
])
def test_free_text_loses_keys_signatures_passwords_and_numbers(text, clean):
    assert redact_text(text) == clean


def test_known_secrets_are_cut_out_verbatim():
    assert redact_text("the key is plain-key-123 ok", ["plain-key-123"]) == \
        "the key is [redacted] ok"


def test_mappings_are_redacted_by_name_at_any_depth():
    headers = {"Authorization": "Bearer k", "X-API-Key": "k", "webhook-signature": "v1,abc",
               "webhook-id": "msg_1", "Content-Type": "application/json"}
    payload = {"call_sid": "CA1", "From": "+15559876543", "to_number": "5551234567",
               "sip_code": 200, "variables": {"caller": "+33612345678", "password": "p"},
               "legs": [{"to": "+15551234567"}], "note": "callback +4915112345678"}
    assert redact_mapping(headers) == {
        "Authorization": "[redacted]", "X-API-Key": "[redacted]", "webhook-signature": "[redacted]",
        "webhook-id": "msg_1", "Content-Type": "application/json"}
    assert redact_mapping(payload) == {
        "call_sid": "CA1", "From": "+1******6543", "to_number": "******4567", "sip_code": 200,
        "variables": {"caller": "+33*****5678", "password": "[redacted]"},
        "legs": [{"to": "+1******4567"}], "note": "callback +49*******5678"}


def test_the_filter_rewrites_messages_fields_and_tracebacks(caplog):
    logger = logging.getLogger("test_redact.sample")
    logger.addFilter(RedactingFilter(["plain-key-123"]))
    caplog.set_level(logging.INFO, logger="test_redact.sample")
    logger.info("from %s with %s", CANARY_PHONE, "plain-key-123",
                extra={"fields": {"From": CANARY_PHONE}})
    try:
        raise ValueError(f"bad number {CANARY_PHONE}")
    except ValueError:
        logger.exception("failed")
    assert CANARY_PHONE_DIGITS not in caplog.text and "plain-key-123" not in caplog.text
    assert "from +49*******5678 with [redacted]" in caplog.text
    assert "ValueError: bad number +49*******5678" in caplog.text
    assert caplog.records[0].fields == {"From": "+49*******5678"}


def test_every_app_logger_gets_the_filter_of_the_latest_app(app, fake_redis):
    later = create_app({"TESTING": True, "SIP_BRIDGE_API_KEY": "later-app-key"},
                       redis_client=fake_redis)
    names = [name for name in logging.root.manager.loggerDict if name.startswith("burki_sip")]
    assert "burki_sip.web.auth" in names and "burki_sip.web.errors" in names
    for name in [*names, "werkzeug", "gunicorn.error"]:
        filters = [f for f in logging.getLogger(name).filters if isinstance(f, RedactingFilter)]
        assert filters == [later.extensions[redaction.EXTENSION]], name
    assert "later-app-key" in filters[0].secrets


# A valid value of each parser a secret setting uses, and the text of it a log must not show.
SECRET_SAMPLES = {
    credentials.tokens: ("sample-secret-1", "sample-secret-1"),
    credentials.pairs: ("someone:sample-secret-1", "sample-secret-1"),
    parsers.stripped: ("sample-secret-1", "sample-secret-1"),
    parsers.webhook_secrets: (CANARY_SECRET, CANARY_SECRET.removeprefix("whsec_")),
}


@pytest.mark.parametrize("setting", [s for s in config.SETTINGS if s.secret], ids=lambda s: s.name)
def test_the_value_of_every_secret_setting_is_redacted(setting):
    given, shown = SECRET_SAMPLES[setting.parse]
    checked = config.load({setting.name: given, "REDIS_URL": "redis://x"})
    assert shown in config.secret_values(checked)


def test_redact_is_a_leaf_without_flask_or_state():
    script = "import sys, burki_sip.redact; print(sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True).stdout
    assert "flask" not in loaded and "burki_sip.redact" in loaded
    state = (list, dict, set, logging.Filter)
    mutable = [name for name, value in vars(redact).items()
               if not name.startswith("__") and isinstance(value, state)]
    assert mutable == []


def canary_requests(client):
    """The suite's kinds of request, carrying every canary value."""
    body = json.dumps({"call_sid": "CA1", "status": "ringing", "from": CANARY_PHONE}).encode()
    good = {"Authorization": f"Bearer {CANARY_KEY}"}
    wrong = {"Authorization": f"Bearer {CANARY_WRONG_KEY}", "X-API-Key": CANARY_WRONG_KEY}
    signed = signed_headers(body, secret=CANARY_SECRET)
    forged = signed_headers(body + b" ", secret=CANARY_SECRET)
    for headers in (good, wrong, signed, forged, {}):
        client.post("/sip-status", data=body, content_type="application/json", headers=headers)
        client.post("/sip-prewarm", json={"call_sid": "CA2", "from_number": CANARY_PHONE},
                    headers=headers)
        client.post("/sip-webhook", data={"CallSid": "CA3", "From": CANARY_PHONE},
                    headers=headers)
        client.get("/sip-status/CA1", headers=headers)
    return signed["webhook-signature"], forged["webhook-signature"]


def test_no_canary_reaches_the_logs(fake_redis, caplog, capsys, monkeypatch):
    caplog.set_level(logging.DEBUG)
    app = create_app({"SIP_INBOUND_API_KEYS": CANARY_KEY, "SIP_WEBHOOK_SECRETS": CANARY_SECRET,
                      "LOG_LEVEL": "DEBUG"}, redis_client=fake_redis)
    signatures = canary_requests(app.test_client())

    def careless_store(*args, **kwargs):  # code that puts a whole request into an exception
        from flask import request
        raise RuntimeError(f"cannot store {request.get_data()!r} for {dict(request.headers)}")

    monkeypatch.setattr(app.extensions["burki_sip"], "record_event", careless_store)
    canary_requests(app.test_client())

    json_lines = capsys.readouterr().out  # the app's own JSON log lines (burki_sip.logs)
    logged = caplog.text + json_lines
    canaries = [CANARY_KEY, CANARY_WRONG_KEY, CANARY_SECRET, CANARY_SECRET.removeprefix("whsec_"),
                CANARY_PHONE, CANARY_PHONE_DIGITS, *signatures, *(s[3:] for s in signatures)]
    assert [canary for canary in canaries if canary in logged] == []
    # The logs did see these requests: refusals, and the careless errors, masked.
    assert "refused POST /sip-status from 127.0.0.1: invalid API key" in logged
    for text in (caplog.text, json_lines):
        assert "RuntimeError: cannot store" in text and "+49*******5678" in text


PLAIN_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-"


@given(st.text(alphabet=PLAIN_ALPHABET, max_size=80))
def test_no_pattern_matches_plain_text_which_is_why_it_skips_them(value):
    patterns = [pattern for pattern, _ in redact.SECRETS_IN_TEXT] + [redact.PHONE_IN_TEXT]
    assert redact.PLAIN_TEXT.fullmatch(value)
    assert [p.pattern for p in patterns if p.search(value)] == []


@pytest.mark.parametrize("near_miss", [
    "bearer-abc123", "Basic.abc", "whsecabc", "v1abcdefghijkl", "v1a.abcdefghijkl",
    "password-hunter2", "api-key.abc", "authorization-abc", "sip15551234567",
    "tel15551234567", "15551234567", "https.example.com/user/pass"])
def test_near_misses_without_the_characters_the_patterns_need_are_left_alone(near_miss):
    assert redact.PLAIN_TEXT.fullmatch(near_miss)
    assert [p.pattern for p, _ in redact.SECRETS_IN_TEXT if p.search(near_miss)] == []
    assert redact.PHONE_IN_TEXT.search(near_miss) is None


def test_plain_text_still_loses_the_given_secrets():
    assert redact_text("CA" + CANARY_KEY, [CANARY_KEY]) == "CA[redacted]"
