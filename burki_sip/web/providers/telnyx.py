"""Telnyx: Call Control API v2 webhooks (JSON) and TeXML status callbacks (Twilio-style forms).

Fields and sources: docs/providers.md#telnyx.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ...calls.lifecycle import status_from_sip_code
from ...signatures import TOLERANCE_SECONDS, checked_timestamp
from . import twilio
from .base import Reading, dig, facts, header, lowered, mapping, sip_code_of, scalar_text
from .signing import Scheme, Signed, SignatureError

NAME = "telnyx"
SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"

# event_type -> canonical; events not listed (dtmf, playback, ...) say nothing about the state.
# call.initiated comes when the call is created, either way round: a later event moves it on.
EVENTS = {
    "call.initiated": "initiated",
    "call.answered": "in-progress",
    "call.bridged": "in-progress",
    "call.hangup": "hangup",
}
# call.hangup's hangup_cause -> canonical; unknown causes fall back to the SIP code, then hangup.
HANGUP_CAUSES = {
    "normal_clearing": "hangup",  # completed after an answer or a 2xx sip_hangup_cause
    "time_limit": "hangup",
    "user_busy": "busy",
    "timeout": "no-answer",
    "no_answer": "no-answer",
    "originator_cancel": "canceled",
    "call_rejected": "failed",
    "not_found": "failed",
}


def detect(body: dict, headers, form: bool) -> bool:
    """A Call Control event, or a TeXML form (``v2:``/``v3:`` CallSid or ``CallSidLegacy``)."""
    if form:
        sid = str(body.get("CallSid", ""))
        return "CallSidLegacy" in body or sid.startswith(("v2:", "v3:"))
    return (isinstance(dig(body, "data", "payload"), dict)
            and str(dig(body, "data", "event_type") or "").startswith("call."))


def read(body: dict) -> Reading:
    """What a Telnyx payload says."""
    if "data" not in body:
        return twilio.read(body, NAME)
    event, call = lowered(dig(body, "data", "event_type")), mapping(dig(body, "data", "payload"))
    status, code = EVENTS.get(event), sip_code_of(call.get("sip_hangup_cause"))
    word = event
    if event == "call.hangup":
        cause = lowered(call.get("hangup_cause"))
        word = f"call.hangup/{cause}"
        status = (HANGUP_CAUSES.get(cause) or (code and code >= 300 and status_from_sip_code(code))
                  or "hangup")
    return Reading(NAME, scalar_text(call.get("call_control_id")), "data.payload.call_control_id",
                   facts(status, sip_code=code, reason=scalar_text(call.get("hangup_cause"))),
                   "data.event_type", word, stateless=status is None)


def verify(credentials: tuple, signed: Signed) -> None:
    """Verify ``telnyx-signature-ed25519`` of ``timestamp|body`` with a ``TELNYX_PUBLIC_KEY``."""
    stamp = checked_timestamp(signed.headers.get(TIMESTAMP_HEADER), signed.now,
                              name=TIMESTAMP_HEADER)
    try:
        signature = base64.b64decode(signed.headers.get(SIGNATURE_HEADER, ""), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{SIGNATURE_HEADER} is not base64") from None
    message = str(stamp).encode() + b"|" + signed.body
    verified = False
    for key in credentials:  # every key is tried: no early exit shows which one matched
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
            verified = True
        except (InvalidSignature, ValueError):  # ValueError: a key that is no curve point
            pass
    if not verified:
        raise SignatureError(f"{SIGNATURE_HEADER} does not verify the timestamp and body with "
                             "TELNYX_PUBLIC_KEY")


SCHEME = Scheme(NAME, ("TELNYX_PUBLIC_KEY",), SIGNATURE_HEADER,
                lambda headers: bool(header(headers, SIGNATURE_HEADER)), verify,
                "`telnyx-signature-ed25519`: Ed25519 (`TELNYX_PUBLIC_KEY`) of "
                f"`{{telnyx-timestamp}}|{{body}}`, the timestamp within {TOLERANCE_SECONDS} s.")
