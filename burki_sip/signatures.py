"""Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
``id.timestamp.body``; no URL is signed, so a proxy in front cannot make a valid one fail."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from typing import Iterable, Mapping

SECRET_PREFIX = "whsec_"
SECRET_MIN_BYTES = 24  # the specification's minimum
# Every timestamped scheme (these and the providers' Telnyx, jambonz, Vonage) accepts this much
# clock difference either way: Telnyx's and jambonz's own value, and the Standard Webhooks one.
TOLERANCE_SECONDS = 300
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# More entries than this in one header are ignored: rotation needs two or three.
MAX_SIGNATURES = 16
TIMESTAMP_PATTERN = re.compile(r"[0-9]{1,12}")


class SignatureError(Exception):
    """A request's webhook signature headers do not verify; the message says why."""


def decode_secret(text: str | bytes) -> bytes:
    """The key bytes of one ``whsec_...`` secret (prefix optional), or key bytes as given."""
    if isinstance(text, bytes):
        return text
    encoded = text.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("each secret must be whsec_ followed by base64") from exc
    if len(key) < SECRET_MIN_BYTES:
        raise ValueError(f"each secret must decode to at least {SECRET_MIN_BYTES} bytes")
    return key


def checked_timestamp(text: str | None, now: float, tolerance: int = TOLERANCE_SECONDS,
                      name: str = "webhook-timestamp") -> int:
    """The timestamp header ``name`` as Unix seconds, checked to be within ``tolerance``."""
    if not TIMESTAMP_PATTERN.fullmatch((text or "").strip()):
        raise SignatureError(f"{name} must be an integer Unix time in seconds")
    timestamp = int(text)
    if timestamp < now - tolerance:
        raise SignatureError(f"{name} is too old (more than {tolerance} s ago): "
                             "a replay, or a clock out of sync")
    if timestamp > now + tolerance:
        raise SignatureError(f"{name} is in the future (more than {tolerance} s ahead)")
    return timestamp


def verify(secrets: Iterable[bytes], headers: Mapping[str, str], body: bytes,
           now: float | None = None, tolerance: int = TOLERANCE_SECONDS) -> None:
    """Return when one signature matches one secret; raise ``SignatureError`` saying why not."""
    msg_id, stamp, header = (headers.get(name) for name in HEADERS)
    missing = [name for name, value in zip(HEADERS, (msg_id, stamp, header)) if not value]
    if missing:
        raise SignatureError(f"webhook signature headers missing: {', '.join(missing)}")
    timestamp = checked_timestamp(stamp, time.time() if now is None else now, tolerance)
    signatures = []  # the v1 entries, decoded; other versions are skipped
    for entry in header.split(" ")[:MAX_SIGNATURES]:
        version, _, encoded = entry.partition(",")
        try:
            if version == "v1":
                signatures.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            pass  # one malformed entry must not hide a valid one next to it
    # Header values arrive as latin-1 decoded text (PEP 3333): encode back to the sent bytes.
    signed = msg_id.encode("latin-1", "replace") + b"." + str(timestamp).encode() + b"." + body
    matched = False  # every secret against every signature, in constant time, no early exit
    for secret in secrets:
        expected = hmac.new(secret, signed, hashlib.sha256).digest()
        for signature in signatures:
            matched |= hmac.compare_digest(expected, signature)
    if not matched:
        raise SignatureError("webhook signature does not match the body (no v1 signature "
                             "verifies with SIP_WEBHOOK_SECRETS)")
