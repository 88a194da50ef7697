"""jambonz: the application's call hook and call status hook (JSON, or a GET's query).

Fields and sources: docs/providers.md#jambonz.
"""

from __future__ import annotations

import hashlib
import hmac

from ...signatures import TOLERANCE_SECONDS, checked_timestamp
from .base import Reading, flat_reading, header, sip_code_of, scalar_text, whole
from .signing import Scheme, Signed, SignatureError, any_equal

NAME = "jambonz"
SIGNATURE_HEADER = "Jambonz-Signature"
# More v1= entries than this in one header are ignored: rotation needs two or three.
MAX_SIGNATURES = 16

# call_status -> canonical. jambonz has no "canceled": a caller's CANCEL is no-answer with 487.
STATUSES = {
    "queued": "queued",
    "trying": "initiated",
    "ringing": "ringing",
    "early-media": "early-media",
    "in-progress": "in-progress",
    "completed": "completed",
    "busy": "busy",
    "no-answer": "no-answer",
    "failed": "failed",
}
AFTER_CANCEL = {**STATUSES, "no-answer": "canceled"}  # with sip_status 487


def detect(body: dict, headers, form: bool) -> bool:
    """``call_sid`` with jambonz's ``account_sid``/``application_sid``/``call_status`` or its
    header: in JSON, or in the query of a hook jambonz sends with GET."""
    ours = "account_sid" in body or "application_sid" in body or "call_status" in body
    return "call_sid" in body and bool(ours or header(headers, SIGNATURE_HEADER))


def read(body: dict) -> Reading:
    """What a jambonz hook says."""
    code = sip_code_of(body.get("sip_status"))
    return flat_reading(NAME, body, "call_sid", "call_status",
                        AFTER_CANCEL if code == 487 else STATUSES, sip_code=code,
                        reason=scalar_text(body.get("sip_reason")),
                        duration=whole(body.get("duration")))


def presented(value: str) -> tuple[str | None, list[bytes]]:
    """The ``t=`` and every ``v1=`` of a ``Jambonz-Signature`` header."""
    stamp, signatures = None, []
    for part in value.split(",")[:MAX_SIGNATURES + 1]:
        name, _, item = part.strip().partition("=")
        if name == "t":
            stamp = item
        elif name == "v1":
            signatures.append(item.strip().lower().encode())
    return stamp, signatures


def signature(secret: str, stamp: int, body: bytes) -> bytes:
    """jambonz's hex HMAC-SHA256 of ``{t}.{body}``."""
    return hmac.new(secret.encode("utf-8"), f"{stamp}.".encode() + body,
                    hashlib.sha256).hexdigest().encode()


def verify(credentials: tuple, signed: Signed) -> None:
    """Verify ``Jambonz-Signature`` with one of ``JAMBONZ_WEBHOOK_SECRET``.

    Its SDKs refuse only a ``t`` more than ``TOLERANCE_SECONDS`` old; one as far ahead is refused
    here too, as for every timestamped scheme.
    """
    stamp, offered = presented(signed.headers.get(SIGNATURE_HEADER, ""))
    checked = checked_timestamp(stamp, signed.now, name=f"{SIGNATURE_HEADER} t=")
    if not any_equal([signature(secret, checked, signed.body) for secret in credentials], offered):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body (no v1 verifies with "
                             "JAMBONZ_WEBHOOK_SECRET)")


SCHEME = Scheme(NAME, ("JAMBONZ_WEBHOOK_SECRET",), SIGNATURE_HEADER,
                lambda headers: bool(header(headers, SIGNATURE_HEADER)), verify,
                "`Jambonz-Signature: t=...,v1=...`: hex HMAC-SHA256 (`JAMBONZ_WEBHOOK_SECRET`) of "
                f"`{{t}}.{{body}}`, `t` within {TOLERANCE_SECONDS} s.")
