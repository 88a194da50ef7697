"""Twilio Programmable Voice: status callbacks, voice requests and ``<Dial>`` action callbacks
(forms; a Dial action's leg becomes ``dial_*`` facts of the call that dialled). SignalWire's LaML
and Telnyx's TeXML send the same names. Fields and sources: docs/providers.md#twilio.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from .base import (Reading, facts, flat_reading, header, lowered, mapped, sip_code_of, scalar_text,
                   whole)
from .signing import Scheme, Signed, SignatureError, any_equal, port_variants, shown_url

NAME = "twilio"
SIGNATURE_HEADER = "X-Twilio-Signature"
CALL_SID = re.compile(r"CA[0-9a-f]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")

# CallStatus and DialCallStatus -> canonical. Twilio has no early-media status.
STATUSES = {
    "queued": "queued",
    "initiated": "initiated",
    "ringing": "ringing",
    "in-progress": "in-progress",
    "answered": "in-progress",  # DialCallStatus in older documentation
    "completed": "completed",
    "busy": "busy",
    "no-answer": "no-answer",
    "canceled": "canceled",
    "failed": "failed",
}


def detect(body: dict, headers, form: bool) -> bool:
    """A form with a Twilio-shaped ``CallSid``/``AccountSid``, or Twilio's signature header."""
    if not form:
        return False
    shaped = (CALL_SID.fullmatch(str(body.get("CallSid", "")))
              or ACCOUNT_SID.fullmatch(str(body.get("AccountSid", ""))))
    return bool(shaped or header(headers, SIGNATURE_HEADER))


def read(body: dict, name: str = NAME) -> Reading:
    """A Twilio-style form (SignalWire's and Telnyx's too): the call itself, with a ``<Dial>``
    action's dialled leg as event facts (``dial_leg``)."""
    reading = flat_reading(name, body, "CallSid", "CallStatus", STATUSES,
                           sip_code=sip_code_of(body.get("SipResponseCode")),
                           duration=whole(body.get("CallDuration")),
                           sequence=whole(body.get("SequenceNumber")),
                           timestamp=scalar_text(body.get("Timestamp")))
    return replace(reading, event_facts=dial_leg(body))


def dial_leg(body: dict) -> dict:
    """How a ``<Dial>``'s dialled leg ended, as facts of the call that dialled: ``dial_status``
    (canonical), ``dial_sip_code``, ``dial_duration``, ``dial_call_sid``; none without a
    ``DialCallStatus`` (not a Dial action)."""
    word = lowered(body.get("DialCallStatus"))
    if word is None:
        return {}
    leg = facts(mapped(STATUSES, word)[0], sip_code=sip_code_of(body.get("DialSipResponseCode")),
                duration=whole(body.get("DialCallDuration")),
                call_sid=scalar_text(body.get("DialCallSid")))
    return {f"dial_{name}": value for name, value in leg.items()}


def signature(key: str, url: str, form: dict[str, list[str]] | None) -> bytes:
    """Twilio's HMAC-SHA1 of the URL followed by every sorted ``name + value`` (raw bytes)."""
    signed = url + "".join(name + value for name in sorted(form or {})
                           for value in sorted(set(form[name])))
    return hmac.new(key.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()


def offered(value: str) -> list[bytes]:
    """The decoded signature of a base64 header value (none when it is not base64)."""
    try:
        return [base64.b64decode(value.strip(), validate=True)]
    except ValueError:
        return []


def verify(keys: tuple, signed: Signed, header_name: str = SIGNATURE_HEADER) -> None:
    """Verify ``X-Twilio-Signature`` with one of ``TWILIO_AUTH_TOKEN``: a form's fields after the
    URL, or a JSON body's ``bodySHA256`` in it."""
    presented = offered(signed.headers.get(header_name, ""))
    form = signed.form
    if form is None:
        body_hash = parse_qs(urlsplit(signed.url).query).get("bodySHA256", [""])[0]
        expected_hash = hashlib.sha256(signed.body).hexdigest()
        if not hmac.compare_digest(body_hash.encode(), expected_hash.encode()):
            raise SignatureError(f"{header_name}: a JSON body must be signed with its bodySHA256 "
                                 "in the URL, and this body's hash differs")
    expected = [signature(key, url, form) for key in keys for url in port_variants(signed.url)]
    if not any_equal(expected, presented):
        raise SignatureError(f"{header_name} does not match the URL {shown_url(signed.url)} and "
                             "the body (is SIP_PUBLIC_URL the URL the provider calls?)")


SCHEME = Scheme(NAME, ("TWILIO_AUTH_TOKEN",), SIGNATURE_HEADER,
                lambda headers: bool(header(headers, SIGNATURE_HEADER)), verify,
                "`X-Twilio-Signature`: base64 HMAC-SHA1 (`TWILIO_AUTH_TOKEN`) of the public URL "
                "and the sorted form fields (a JSON body: its `bodySHA256` in the URL).")
