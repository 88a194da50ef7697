"""SignalWire: LaML/cXML forms (Twilio's names, UUID ids) and Relay/SWML JSON call states.

Fields and sources: docs/providers.md#signalwire.
"""

from __future__ import annotations

import hashlib
import hmac

from . import twilio
from .base import UUID, Reading, facts, header, lowered, mapped, scalar_text
from .signing import Scheme, Signed, SignatureError, any_equal, port_variants, shown_url

NAME = "signalwire"
SIGNATURE_HEADER = "X-SignalWire-Signature"
RELAY_EVENT = "calling.call.state"

# Relay call_state -> canonical; "ending" comes before "ended" and says nothing final yet.
STATES = {"created": "initiated", "ringing": "ringing", "answered": "in-progress",
          "ending": None}
# The end_reason of an "ended" call (DisconnectReason) -> canonical.
END_REASONS = {
    "hangup": "hangup",  # completed after an answer, canceled before it (decided in Redis)
    "busy": "busy",
    "noanswer": "no-answer",
    "cancel": "canceled",
    "decline": "failed",  # 603 Decline: the callee refused, not busy
    "error": "failed",
    "failed": "failed",
}


def _relay(body: dict) -> dict | None:
    if body.get("event_type") == RELAY_EVENT and isinstance(body.get("params"), dict):
        return body["params"]
    call = body.get("call")
    if isinstance(call, dict) and "call_id" in call and {"project_id", "space_id"} & set(call):
        return call
    return None


def detect(body: dict, headers, form: bool) -> bool:
    """A Relay state event or SWML call, or a LaML form (UUID ids, or SignalWire's header)."""
    if not form:
        return _relay(body) is not None
    uuid_ids = any(UUID.fullmatch(str(body.get(name, ""))) for name in ("CallSid", "AccountSid"))
    return bool("CallSid" in body and (uuid_ids or header(headers, SIGNATURE_HEADER)))


def read(body: dict) -> Reading:
    """What a SignalWire payload says."""
    call = _relay(body)
    if call is None:
        return twilio.read(body, NAME)
    where = "params" if call is body.get("params") else "call"
    word = lowered(call.get("call_state"))
    if word == "ended":
        reason = lowered(call.get("end_reason")) or "hangup"
        status, known = mapped(END_REASONS, reason)
        word = f"ended/{reason}"
    else:
        status, known = mapped(STATES, word)
    return Reading(NAME, scalar_text(call.get("call_id")), f"{where}.call_id", facts(status),
                   f"{where}.call_state", word, stateless=known and status is None)


def native_signature(key: str, url: str, body: bytes) -> bytes:
    """SignalWire's JSON scheme: hex HMAC-SHA1 of the URL followed by the raw body."""
    return hmac.new(key.encode("utf-8"), url.encode("utf-8") + body,
                    hashlib.sha1).hexdigest().encode()


def verify(credentials: tuple, signed: Signed) -> None:
    """Verify SignalWire's header with one of ``SIGNALWIRE_SIGNING_KEY``.

    Forms are signed as Twilio signs them (base64 HMAC-SHA1 of URL and sorted fields); JSON
    bodies as hex HMAC-SHA1 of the URL and the raw body.
    """
    name = SIGNATURE_HEADER if header(signed.headers, SIGNATURE_HEADER) else twilio.SIGNATURE_HEADER
    if signed.form is not None:
        twilio.verify(credentials, signed, name)
        return
    presented = [(signed.headers.get(name) or "").strip().lower().encode()]
    expected = [native_signature(key, url, signed.body) for key in credentials
                for url in port_variants(signed.url)]
    if not any_equal(expected, presented):
        raise SignatureError(f"{name} does not match the URL {shown_url(signed.url)} and the body "
                             "(is SIP_PUBLIC_URL the URL the provider calls?)")


def presented(headers) -> bool:
    """SignalWire's header, or Twilio's, which LaML sends too (signed with the same key)."""
    return bool(header(headers, SIGNATURE_HEADER) or header(headers, twilio.SIGNATURE_HEADER))


SCHEME = Scheme(NAME, ("SIGNALWIRE_SIGNING_KEY",), SIGNATURE_HEADER, presented, verify,
                "`X-SignalWire-Signature` (`SIGNALWIRE_SIGNING_KEY`): forms as Twilio signs "
                "them; JSON as hex HMAC-SHA1 of the public URL and the raw body.")
