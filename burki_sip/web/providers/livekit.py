"""LiveKit SIP: webhook events (``application/webhook+json``) about SIP participants; events
without a SIP participant (``room_started``) name no call. Fields and sources:
docs/providers.md#livekit-sip.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from .base import Reading, dig, facts, lowered, mapped, mapping, scalar_text
from .signing import Scheme, Signed, SignatureError, bearer_jwt, jwt_claims

NAME = "livekit"
CALL_ID = "sip.callID"
CALL_STATUS = "sip.callStatus"
LEFT = frozenset({"participant_left", "participant_connection_aborted"})
LEEWAY_SECONDS = 10  # livekit-api's TokenVerifier allows this much clock skew too

# sip.callStatus -> canonical.
CALL_STATUSES = {
    "dialing": "initiated",
    "ringing": "ringing",
    "automation": "in-progress",  # answered; DTMF still being sent
    "active": "in-progress",
    "hangup": "hangup",
}
# disconnectReason of a participant that left -> canonical; others end it as a hangup.
DISCONNECT_REASONS = {
    "USER_REJECTED": "busy",
    "USER_UNAVAILABLE": "no-answer",
    "CONNECTION_TIMEOUT": "no-answer",
    "SIP_TRUNK_FAILURE": "failed",
    "MEDIA_FAILURE": "failed",
    "JOIN_FAILURE": "failed",
}


def detect(body: dict, headers, form: bool) -> bool:
    """JSON with a webhook ``event`` and its ``room`` or ``participant``."""
    return (not form and isinstance(body.get("event"), str)
            and any(isinstance(body.get(name), dict) for name in ("room", "participant")))


def read(body: dict) -> Reading:
    """What a LiveKit webhook says about its SIP participant, if it has one."""
    event, attributes = lowered(body.get("event")), mapping(dig(body, "participant", "attributes"))
    word = lowered(attributes.get(CALL_STATUS))
    status, known = mapped(CALL_STATUSES, word)
    if event in LEFT:
        reason = str(dig(body, "participant", "disconnectReason") or "")
        status, known = DISCONNECT_REASONS.get(reason, "hangup"), True
        word = f"{event}/{reason or word}"
    return Reading(NAME, scalar_text(attributes.get(CALL_ID)), f"participant.attributes.{CALL_ID}",
                   facts(status, reason=scalar_text(dig(body, "participant", "disconnectReason"))),
                   f"participant.attributes.{CALL_STATUS}", word,
                   stateless=status is None and (known or word is None))


def verify(credentials: tuple, signed: Signed) -> None:
    """Verify the webhook JWT: issued by a key of ``LIVEKIT_API_KEYS``, signed with its secret."""
    claims = jwt_claims(bearer_jwt(signed.headers), (
        {"key": secret, "issuer": key, "leeway": LEEWAY_SECONDS,
         "options": {"require": ["exp", "iss"]}} for key, secret in credentials))
    if claims is None:
        raise SignatureError("the LiveKit webhook JWT does not verify with LIVEKIT_API_KEYS "
                             "(HS256, unexpired, issued by a key, signed with its secret)")
    expected = base64.b64encode(hashlib.sha256(signed.body).digest())
    if not hmac.compare_digest(str(claims.get("sha256", "")).encode(), expected):
        raise SignatureError("the LiveKit webhook JWT's sha256 is not the SHA-256 of the body")


SCHEME = Scheme(NAME, ("LIVEKIT_API_KEYS",), "Authorization",
                lambda headers: bearer_jwt(headers) is not None, verify,
                "`Authorization: <JWT>`: HS256 with a secret of `LIVEKIT_API_KEYS`, issued by its "
                "key, unexpired, its `sha256` claim the body's SHA-256 (base64).")
