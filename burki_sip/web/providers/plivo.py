"""Plivo Voice: answer, ring, hangup and callback requests (forms) and ``X-Plivo-Signature-V3``.

Fields and sources: docs/providers.md#plivo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit, urlunsplit

from .base import Reading, flat_reading, header, scalar_text, whole
from .signing import Scheme, Signed, SignatureError, any_equal, shown_url

NAME = "plivo"
SIGNATURE_HEADERS = ("X-Plivo-Signature-V3", "X-Plivo-Signature-Ma-V3")
NONCE_HEADER = "X-Plivo-Signature-V3-Nonce"
# Fields only Plivo sends (Twilio-style forms name their call CallSid instead): a payload that
# lost its CallUUID is still Plivo's, and its 400 says so.
FIELDS = ("CallUUID", "ALegUUID", "ALegRequestUUID", "RequestUUID", "BillDuration", "BillRate",
          "TotalCost", "HangupCause", "HangupCauseCode", "HangupCauseName", "ParentAuthID")

# CallStatus -> canonical.
STATUSES = {
    "ringing": "ringing",
    "in-progress": "in-progress",
    "completed": "completed",
    "busy": "busy",
    "no-answer": "no-answer",
    "timeout": "no-answer",  # the ring timeout passed
    "cancel": "canceled",
    "failed": "failed",
}


def detect(body: dict, headers, form: bool) -> bool:
    """A form with a field only Plivo sends (``CallUUID``, ``ALegUUID``, ``BillDuration``, ...)
    and no ``CallSid``, or one of Plivo's signature headers."""
    ours = "CallSid" not in body and any(name in body for name in FIELDS)
    signed = any(header(headers, name) for name in (*SIGNATURE_HEADERS, NONCE_HEADER))
    return form and (ours or signed)


def read(body: dict) -> Reading:
    """What a Plivo request says."""
    return flat_reading(NAME, body, "CallUUID", "CallStatus", STATUSES,
                        duration=whole(body.get("Duration")),
                        reason=scalar_text(body.get("HangupCauseName") or body.get("HangupCause")))


def _sorted_query(query: dict[str, list[str]]) -> str:
    return "&".join(f"{name}={value}" for name in sorted(query) for value in sorted(query[name]))


def base_string(url: str, form: dict[str, list[str]]) -> str:
    """What Plivo signs for a POST: the URL with its sorted query, then ``.``, then the fields.

    As plivo-python's ``construct_post_url``: ``?`` follows the path when the query or the
    fields are not empty, ``.`` separates a non-empty query from non-empty fields.
    """
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = _sorted_query(parse_qs(parts.query, keep_blank_values=True))
    if query or form:
        base += "?" + query
    if query and form:
        base += "."
    return base + "".join(f"{name}{value}" for name in sorted(form)
                          for value in sorted(form[name]))


def signature(token: str, url: str, form: dict[str, list[str]], nonce: str) -> bytes:
    """Plivo's base64 HMAC-SHA256 of ``{base string}.{nonce}``, as the header carries it."""
    message = f"{base_string(url, form)}.{nonce}".encode("utf-8")
    return base64.b64encode(hmac.new(token.encode("utf-8"), message, hashlib.sha256).digest())


def verify(credentials: tuple, signed: Signed) -> None:
    """Verify ``X-Plivo-Signature-V3`` (or the main account's ``-Ma-V3``) with its nonce."""
    nonce = header(signed.headers, NONCE_HEADER)
    if nonce is None:
        raise SignatureError(f"{NONCE_HEADER} missing")
    offered = [item.strip().encode() for name in SIGNATURE_HEADERS
               for item in (signed.headers.get(name) or "").split(",")[:16] if item.strip()]
    expected = [signature(token, signed.url, signed.form or {}, nonce) for token in credentials]
    if not any_equal(expected, offered):
        raise SignatureError(f"{SIGNATURE_HEADERS[0]} does not match the URL "
                             f"{shown_url(signed.url)}, the fields and the nonce (is SIP_PUBLIC_URL "
                             "the URL Plivo calls?)")


SCHEME = Scheme(NAME, ("PLIVO_AUTH_TOKEN",), SIGNATURE_HEADERS[0],
                lambda headers: any(header(headers, name) for name in SIGNATURE_HEADERS), verify,
                "`X-Plivo-Signature-V3` + `X-Plivo-Signature-V3-Nonce`: base64 HMAC-SHA256 "
                "(`PLIVO_AUTH_TOKEN`) of the public URL, the sorted fields and the nonce.")
