"""The providers' own authentication, for ``web/auth.py``: which schemes are configured, and
whether the current request verifies with one of them.

Besides each provider's signature (``registry.SCHEMES``) there is HTTP Basic (``SIP_BASIC_AUTH``),
which Twilio and jambonz send when the callback URL holds ``user:password@``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from typing import Mapping
from urllib.parse import parse_qs

from flask import Request

from .. import payload
from .registry import SCHEMES
from .signing import Scheme, Signed, SignatureError, any_equal


def _basic_offered(headers: Mapping[str, str]) -> bytes | None:
    scheme, _, token = (headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return b""


def basic_digests(pairs) -> list[bytes]:
    """Digests of ``user:password`` pairs: compared at fixed length, the values never kept."""
    return [hashlib.sha256(f"{user}:{password}".encode("utf-8")).digest()
            for user, password in pairs]


def basic_matches(digests: list[bytes], headers: Mapping[str, str]) -> bool:
    """Whether the HTTP Basic credentials sent are one of ``digests`` (every one compared)."""
    return any_equal(digests, [hashlib.sha256(_basic_offered(headers) or b"").digest()])


def _verify_basic(credentials: tuple, signed: Signed) -> None:
    if not basic_matches(basic_digests(credentials), signed.headers):
        raise SignatureError("HTTP Basic credentials do not match SIP_BASIC_AUTH")


BASIC = Scheme("basic", ("SIP_BASIC_AUTH",), "Authorization: Basic",
               lambda headers: _basic_offered(headers) is not None, _verify_basic,
               "HTTP Basic: one of the `user:password` pairs of `SIP_BASIC_AUTH`.")
ALL_SCHEMES = (*SCHEMES, BASIC)


def configured(config: Mapping) -> tuple[tuple[Scheme, tuple], ...]:
    """Each scheme whose settings are set, with its credentials."""
    pairs = ((scheme, scheme.credentials(config)) for scheme in ALL_SCHEMES)
    return tuple((scheme, credentials) for scheme, credentials in pairs if credentials)


def public_url(request: Request, base: str | None) -> str:
    """The URL the provider called and signed: ``SIP_PUBLIC_URL`` + path + query when set.

    Unset, the URL as received: its scheme and host are the proxy's ``X-Forwarded-*`` only as
    deep as ``TRUSTED_PROXY_COUNT`` trusts (``proxies.trust_proxies``).
    """
    target = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    if not target.startswith("/"):
        target = request.full_path.rstrip("?")
    return (base or request.host_url).rstrip("/") + target


def signed_request(request: Request, base: str | None) -> Signed:
    """The current request as the signature schemes see it (the raw body, read once).

    A GET has its fields in the URL: the schemes that sign the URL (Twilio, SignalWire, Plivo)
    sign it with no form fields after it, as their SDKs do for a GET, and those that sign the
    body (Vonage, jambonz) the fields' JSON text (``payload.signed_text``).
    """
    if request.method == "GET":
        return Signed(public_url(request, base), request.headers, payload.signed_text(request), {},
                      time.time())
    body = request.get_data(cache=True)
    form = None
    if request.mimetype == payload.FORM_TYPES[0]:
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return Signed(public_url(request, base), request.headers, body, form, time.time())


def check(schemes: tuple[tuple[Scheme, tuple], ...], request: Request,
          base: str | None) -> tuple[bool, list[str]]:
    """(verified, why each presented scheme failed): any one scheme that verifies is enough."""
    reasons, signed = [], None
    for scheme, credentials in schemes:
        if not scheme.presented(request.headers):
            continue
        signed = signed or signed_request(request, base)
        try:
            scheme.verify(credentials, signed)
        except SignatureError as exc:
            reasons.append(f"{scheme.name}: {exc}")
            continue
        return True, []
    return False, reasons
