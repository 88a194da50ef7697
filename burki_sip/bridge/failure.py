"""What a failed bridge sync tells its reader: how it failed, the bridge's words, what to check."""

from __future__ import annotations

import json

import requests
from urllib3.exceptions import (ConnectTimeoutError, NameResolutionError, NewConnectionError,
                                ReadTimeoutError, SSLError)

from ..redact import REDACTED

MESSAGE_MAX = 200
RETRY_STATUSES = (429, 502, 503, 504)


def shorten(text: str, secret: str) -> str:
    """``text`` without ``secret`` (so a key never reaches a log), on one line, cut to
    ``MESSAGE_MAX`` characters."""
    text = " ".join((text.replace(secret, REDACTED) if secret else text).split())
    return text if len(text) <= MESSAGE_MAX else text[:MESSAGE_MAX] + "..."


def bridge_message(content: bytes, secret: str) -> str | None:
    """The bridge's own error message (JSON ``error``/``message``/``detail``, else the text),
    without ``secret``: a bridge may echo the Authorization header it refused."""
    text = content.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        text = next((parsed[name] for name in ("error", "message", "detail")
                     if isinstance(parsed.get(name), str)), text)
    return shorten(text, secret) or None


def unreachable(exc: requests.RequestException, timeout: tuple[float, float],
                secret: str) -> tuple[str, str, str, int | None]:
    """For a sync that got no complete answer: what went wrong, what to check, urllib3's last
    error, and the attempts made when urllib3 counted them."""
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    attempts = getattr(cause, "attempts", None)  # CountingRetry put it on the error it gave up with
    cause = getattr(cause, "reason", None) or cause  # MaxRetryError wraps the last error
    connect, read = timeout
    what, check = next((what, check) for kind, what, check in (
        (ReadTimeoutError, f"did not answer within {read:g} s",
         "the bridge's status and logs, or raise the read timeout (--read-timeout)"),
        (NameResolutionError, "host name could not be resolved", "the host in SIP_BRIDGE_URL"),
        # Before its base class ConnectTimeoutError.
        (NewConnectionError, "could not be connected to",
         "SIP_BRIDGE_URL (host and port) and that the bridge is running"),
        (ConnectTimeoutError, f"did not accept a connection within {connect:g} s",
         "SIP_BRIDGE_URL, the firewall on the way and that the bridge is running"),
        (SSLError, "failed the TLS handshake",
         "the bridge's certificate and SIP_BRIDGE_URL's scheme"),
        (BaseException, "could not be reached", "SIP_BRIDGE_URL and the bridge's status"),
    ) if isinstance(cause, kind))
    return what, check, f" (last error: {shorten(str(cause), secret)})", attempts


def what_to_check(status: int, location: str) -> str:
    """What to check after the bridge answered ``status`` (redirecting to ``location``)."""
    if status in (401, 403):
        return "SIP_BRIDGE_API_KEY: the bridge did not accept the key"
    if status == 404:
        return "SIP_BRIDGE_URL: the bridge has no /api/sync-organization there"
    if 300 <= status < 400:
        return f"SIP_BRIDGE_URL: the bridge redirects to {location} (not followed)"
    if status in RETRY_STATUSES:
        return "the bridge's status and logs: it still failed when the retries ran out"
    if status < 500:
        return "the organization config against the bridge's message"
    return "the bridge's status and logs"
