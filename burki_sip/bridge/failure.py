"""What a failed bridge sync tells its reader: how it failed, the bridge's words, what to check."""

from __future__ import annotations

import json

import requests
from urllib3.exceptions import (ConnectTimeoutError, NameResolutionError, NewConnectionError,
                                ReadTimeoutError, SSLError)

from ..redact import REDACTED
from .errors import BridgeError

MESSAGE_MAX = 200
RETRY_STATUSES = (429, 502, 503, 504)


def redact(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` replaced, so a key never reaches a log."""
    return text.replace(secret, REDACTED) if secret else text


def shorten(text: str) -> str:
    """``text`` on one line, cut to ``MESSAGE_MAX`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_MAX else text[:MESSAGE_MAX] + "..."


def plural(attempts: int) -> str:
    """``1 attempt``, ``3 attempts``."""
    return f"{attempts} attempt{'' if attempts == 1 else 's'}"


def bridge_message(content: bytes, secret: str) -> str | None:
    """The bridge's own error message (JSON ``error``/``message``/``detail``, else the text).

    ``secret`` is cut out of it: a bridge may echo the Authorization header it refused.
    """
    text = content.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        text = next((parsed[name] for name in ("error", "message", "detail")
                     if isinstance(parsed.get(name), str)), text)
    return shorten(redact(text, secret)) or None


def describe(cause: BaseException, timeout: tuple[float, float]) -> tuple[str, str]:
    """What went wrong before any answer, and what to check, for urllib3's last error."""
    connect, read = timeout
    if isinstance(cause, ReadTimeoutError):
        return (f"did not answer within {read:g} s",
                "the bridge's status and logs, or raise the read timeout (--read-timeout)")
    if isinstance(cause, NameResolutionError):
        return "host name could not be resolved", "the host in SIP_BRIDGE_URL"
    if isinstance(cause, NewConnectionError):  # before its base class ConnectTimeoutError
        return ("could not be connected to",
                "SIP_BRIDGE_URL (host and port) and that the bridge is running")
    if isinstance(cause, ConnectTimeoutError):
        return (f"did not accept a connection within {connect:g} s",
                "SIP_BRIDGE_URL, the firewall on the way and that the bridge is running")
    if isinstance(cause, SSLError):
        return "failed the TLS handshake", "the bridge's certificate and SIP_BRIDGE_URL's scheme"
    return "could not be reached", "SIP_BRIDGE_URL and the bridge's status"


def unreachable(exc: requests.RequestException, timeout: tuple[float, float], secret: str,
                attempts: int | None = None) -> BridgeError:
    """The error for a sync that got no complete answer (refused, timed out, cut off)."""
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    # CountingRetry put the count on the error urllib3 gave up with.
    attempts = attempts or getattr(cause, "attempts", None) or 1
    cause = getattr(cause, "reason", None) or cause  # MaxRetryError wraps the last error
    what, check = describe(cause, timeout)
    return BridgeError(f"the SIP bridge {what} ({plural(attempts)}): check {check} "
                       f"(last error: {shorten(redact(str(cause), secret))})", attempts=attempts)


def what_to_check(status: int, location: str | None) -> str:
    """What to check after the bridge answered ``status`` (redirecting to ``location``)."""
    if status in (401, 403):
        return "SIP_BRIDGE_API_KEY: the bridge did not accept the key"
    if status == 404:
        return "SIP_BRIDGE_URL: the bridge has no /api/sync-organization there"
    if 300 <= status < 400:
        return (f"SIP_BRIDGE_URL: the bridge redirects to {location} "
                "(not followed)")
    if status in RETRY_STATUSES:
        return "the bridge's status and logs: it still failed when the retries ran out"
    if status < 500:
        return "the organization config against the bridge's message"
    return "the bridge's status and logs"


def refused(response: requests.Response, content: bytes, secret: str,
            attempts: int) -> BridgeError:
    """The error for a bridge that answered with a status other than 2xx."""
    said = bridge_message(content, secret)
    location = redact(response.headers.get("Location") or "", secret)
    message = (f"the SIP bridge answered HTTP {response.status_code} ({plural(attempts)}): "
               f"check {what_to_check(response.status_code, location)}")
    if said:
        message += f"; the bridge said: {said}"
    return BridgeError(message, bridge_status=response.status_code, bridge_message=said,
                       attempts=attempts)


def not_json(response: requests.Response, content: bytes, secret: str,
             attempts: int) -> BridgeError:
    """The error for a 2xx answer that is not JSON: probably not the bridge's API at all."""
    said = bridge_message(content, secret)
    return BridgeError(
        f"the SIP bridge answered HTTP {response.status_code} but not with JSON "
        f"({plural(attempts)}): check that SIP_BRIDGE_URL is the bridge's API; the sync may or "
        f"may not have been applied", bridge_status=response.status_code, bridge_message=said,
        attempts=attempts)
