"""Vonage Voice API: the answer and event webhooks (JSON, or a GET's query) and their signed JWT.

vonage-jwt checks only the HS256 signature: ``payload_hash`` and ``iat`` are checked here. Fields
and sources: docs/providers.md#vonage.
"""

from __future__ import annotations

import hashlib
import hmac

from ...signatures import TOLERANCE_SECONDS
from .base import Reading, flat_reading, scalar_text, whole
from .signing import Scheme, Signed, SignatureError, bearer_jwt, jwt_claims

NAME = "vonage"

# status -> canonical; the AMD results and the NCCO progress events say nothing about the state.
STATUSES = {
    "started": "initiated",
    "ringing": "ringing",
    "answered": "in-progress",
    "completed": "completed",
    "busy": "busy",
    "timeout": "no-answer",
    "unanswered": "no-answer",
    "cancelled": "canceled",
    "rejected": "failed",
    "failed": "failed",
    "disconnected": "hangup",  # the leg dropped: completed after an answer, else canceled
    "human": None,
    "machine": None,
    "record": None,
    "input": None,
    "transfer": None,
}


def detect(body: dict, headers, form: bool) -> bool:
    """A ``CON-`` ``conversation_uuid`` (every Vonage voice webhook has one): in JSON, or in the
    query of a GET (the answer webhook's default method, the event webhook's when so set)."""
    return str(body.get("conversation_uuid", "")).upper().startswith("CON-")


def read(body: dict) -> Reading:
    """What a Vonage webhook says (an answer webhook has no ``status``)."""
    return flat_reading(NAME, body, "uuid", "status", STATUSES,
                        duration=whole(body.get("duration")),
                        reason=scalar_text(body.get("detail")),
                        timestamp=scalar_text(body.get("timestamp")))


def verify(credentials: tuple, signed: Signed) -> None:
    """Verify the signed-webhook JWT with one ``VONAGE_SIGNATURE_SECRET``; then its claims."""
    claims = jwt_claims(bearer_jwt(signed.headers), (
        {"key": secret, "options": {"require": ["iat"], "verify_iat": False}}
        for secret in credentials))
    if claims is None:
        raise SignatureError("the Vonage JWT does not verify with VONAGE_SIGNATURE_SECRET "
                             "(HS256, with an iat claim)")
    issued = claims["iat"]
    if not isinstance(issued, (int, float)) or abs(signed.now - issued) > TOLERANCE_SECONDS:
        raise SignatureError(f"the Vonage JWT's iat is more than {TOLERANCE_SECONDS} s from now: "
                             "a replay, or a clock out of sync")
    expected = hashlib.sha256(signed.body).hexdigest()
    if not hmac.compare_digest(str(claims.get("payload_hash", "")).lower().encode(),
                               expected.encode()):
        raise SignatureError("the Vonage JWT's payload_hash is not the SHA-256 of the body")


SCHEME = Scheme(NAME, ("VONAGE_SIGNATURE_SECRET",), "Authorization",
                lambda headers: bearer_jwt(headers) is not None, verify,
                "`Authorization: Bearer <JWT>`: HS256 with `VONAGE_SIGNATURE_SECRET`, `iat` within "
                f"{TOLERANCE_SECONDS} s, `payload_hash` the SHA-256 of the body.")
