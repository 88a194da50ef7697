"""Who may call the SIP routes: the address allow-list, then a key, a webhook or provider signature.

Only the guarded blueprints are checked; health, readiness, metrics and the API document stay
open. The guard runs before the view, so a refused request is never parsed and never reaches Redis.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Mapping

from flask import Blueprint, Flask, Request, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from ..network import Network, address_allowed
from ..signatures import HEADERS as SIGNATURE_HEADERS, SignatureError, verify
from .errors import ApiError
from .providers import guard as providers
from .providers.signing import any_equal

log = logging.getLogger(__name__)

EXTENSION = "burki_sip.auth"
# The blueprints ``guarded`` put behind ``protect`` (the SIP routes, and the benchmark's floors,
# which pay for the same guard); the OpenAPI document marks their routes as secured.
GUARDED_BLUEPRINTS: set[str] = set()
# Providers sign these two routes (POST, and GET for providers that send their fields in the
# URL) instead of sending a key; every other SIP route needs the key.
SIGNED_ENDPOINTS = frozenset({"sip.webhook", "sip.status", "sip.webhook_query",
                              "sip.status_query"})
NO_KEY = "no API key configured (SIP_INBOUND_API_KEYS, SIP_BRIDGE_API_KEY)"


def _digest(secret: bytes) -> bytes:
    # Comparing fixed-length digests keeps a key's length out of the comparison's timing too.
    return hashlib.sha256(secret).digest()


@dataclass(frozen=True)
class Guard:
    """One app's rules: inbound key digests, webhook secrets, networks and provider schemes."""

    key_digests: tuple[bytes, ...] = ()
    secrets: tuple[bytes, ...] = ()
    networks: tuple[Network, ...] = ()
    providers: tuple = ()  # (Scheme, credentials) of each configured provider scheme
    public_url: str | None = None

    @classmethod
    def from_config(cls, config: Mapping) -> "Guard":
        """The rules the (already checked) settings describe."""
        keys = config.get("SIP_INBOUND_API_KEYS") or (
            (config["SIP_BRIDGE_API_KEY"],) if config.get("SIP_BRIDGE_API_KEY") else ())
        return cls(tuple(_digest(key.encode("utf-8")) for key in keys),
                   tuple(config.get("SIP_WEBHOOK_SECRETS") or ()),
                   tuple(config.get("SIP_ALLOWED_IPS") or ()), providers.configured(config),
                   config.get("SIP_PUBLIC_URL"))


def offered_keys(headers: Mapping[str, str]) -> list[str]:
    """The keys a request carries: ``Authorization: Bearer <key>`` and ``X-API-Key: <key>``."""
    scheme, _, token = (headers.get("Authorization") or "").strip().partition(" ")
    offered = [token.strip() if scheme.lower() == "bearer" else "",
               (headers.get("X-API-Key") or "").strip()]
    return [key for key in offered if key]


def _bytes_sent(header: str) -> bytes:
    try:
        return header.encode("latin-1")  # what the client sent (PEP 3333 decodes as latin-1)
    except UnicodeEncodeError:
        return header.encode("utf-8")


def missing_message(by_key: bool, by_signature: bool, natives: tuple = ()) -> str:
    """What a request without any credential should have sent."""
    ways = []
    if by_key:
        ways.append("an API key (Authorization header with scheme Bearer, or X-API-Key header)")
    if by_signature:
        ways.append("a Standard Webhooks signature (webhook-id, webhook-timestamp and "
                    "webhook-signature headers)")
    if natives:
        headers = dict.fromkeys(scheme.header for scheme, _ in natives)  # each once, in order
        ways.append(f"a provider signature or credentials ({', '.join(headers)})")
    return "authentication required: send " + " or ".join(ways)


def refusal(guard: Guard, req: Request) -> str | None:
    """Why the request ``req`` is refused, or ``None`` when it may go on."""
    signed_route = req.endpoint in SIGNED_ENDPOINTS
    by_key, natives = bool(guard.key_digests), guard.providers if signed_route else ()
    by_signature = bool(guard.secrets) and signed_route
    if not (by_key or by_signature or natives):
        if guard.secrets or guard.providers:
            # Some proof is configured, just none this route takes: closed, not open by omission.
            return (f"{NO_KEY}: this route stays closed while only webhook or provider "
                    "signatures are configured")
        return None  # nothing configured at all: open (a warning was logged at start)
    offered = offered_keys(req.headers)
    # Every offered key against every configured one, in constant time, with no early exit.
    if by_key and any_equal(guard.key_digests, [_digest(_bytes_sent(key)) for key in offered]):
        return None
    verified, reasons = providers.check(natives, req, guard.public_url)
    if verified:
        return None
    if by_signature and any(req.headers.get(name) for name in SIGNATURE_HEADERS[1:]):
        try:
            verify(guard.secrets, req.headers, req.get_data(cache=True))
            return None
        except SignatureError as exc:
            reasons.append(str(exc))
    if by_key and offered:
        reasons.append("invalid API key")
    return "; ".join(reasons) or missing_message(by_key, by_signature, natives)


def guarded(bp: Blueprint) -> Blueprint:
    """Put every route of ``bp`` behind ``protect`` (the blueprint's own ``before_request``), so
    a route added to it is guarded without any table to update."""
    bp.before_request(protect)
    GUARDED_BLUEPRINTS.add(bp.name)
    return bp


def protect() -> None:
    """``before_request``: 403 from outside ``SIP_ALLOWED_IPS``, 401 without a valid proof."""
    guard: Guard = current_app.extensions[EXTENSION]
    if guard.networks and not address_allowed(request.remote_addr, guard.networks):
        log.warning("refused %s %s from %s: address not allowed", request.method, request.path,
                    request.remote_addr)
        raise ApiError(f"client address {request.remote_addr} is not allowed", 403)
    reason = refusal(guard, request)
    if reason is not None:
        log.warning("refused %s %s from %s: %s", request.method, request.path,
                    request.remote_addr, reason)
        raise ApiError(reason, 401, headers={"WWW-Authenticate": "Bearer"})


def init_app(app: Flask) -> None:
    """Build the app's guard (read by ``protect``), trust its proxies and warn if it is open."""
    guard = app.extensions[EXTENSION] = Guard.from_config(app.config)
    # X-Forwarded-* count only as deep as TRUSTED_PROXY_COUNT: with 0 a caller cannot choose its
    # own address; with N, the N-th value from the right (Heroku's router is one proxy). Scheme
    # and host make the URL providers signed when SIP_PUBLIC_URL is unset.
    count = app.config.get("TRUSTED_PROXY_COUNT") or 0
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    if guard.key_digests:
        return
    if guard.secrets or guard.providers:
        log.warning("%s: /sip-prewarm, the claim and a call's reads refuse every request; "
                    "/sip-webhook and /sip-status need a webhook or provider signature", NO_KEY)
    else:
        log.warning("%s: every SIP route accepts any request; set one before exposing the "
                    "service", NO_KEY)
