"""Parsers of the credential settings: keys, ``name:secret`` pairs, public keys, the public URL.

Messages never repeat the value: these settings are secrets.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from .parsers import accepts, listed

ED25519_KEY_BYTES = 32


def token(item: str) -> str:
    """A key or a secret: text without spaces."""
    if not isinstance(item, str) or any(char.isspace() for char in item):
        raise ValueError("each comma-separated value must be text without spaces")
    return item


def pair(item: str | tuple[str, str]) -> tuple[str, str]:
    """``name:secret`` (a login, HTTP Basic credentials, a LiveKit key and its secret) as a pair."""
    name, sep, secret = item.partition(":") if isinstance(item, str) else (item[0], ":", item[1])
    if not (name.strip() and sep and secret):
        raise ValueError("each entry must be name:secret, both non-empty")
    return name.strip(), secret


def ed25519_key(item: str | bytes) -> bytes:
    """An Ed25519 public key, base64 of 32 bytes as Telnyx's portal shows it."""
    try:
        key = item if isinstance(item, bytes) else base64.b64decode(item, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("each key must be base64 (as the portal shows it)") from exc
    if len(key) != ED25519_KEY_BYTES:
        raise ValueError(f"each key must decode to {ED25519_KEY_BYTES} bytes (Ed25519)")
    return key


tokens = listed(token, "values separated by commas, without spaces in a value")
pairs = listed(pair, "name:secret pairs (user:password; LiveKit's key:secret) separated by "
                     "commas, neither part empty")
public_keys = listed(ed25519_key, "base64 Ed25519 public keys (32 bytes), separated by commas")


def base_url(text: str) -> str:
    """``text`` if it is an ``http(s)://host[:port][/prefix]`` URL; ``ValueError`` says why not."""
    try:
        parts = urlsplit(text)
        parts.port  # reading it raises ValueError for a port that is not 0-65535
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("must not hold credentials, a query or a fragment")
    return text


@accepts("an http(s)://host[:port][/prefix] URL (e.g. https://api.burki.dev)")
def public_url(value: str) -> str | None:
    """The base URL providers call, without a trailing slash; empty leaves it unset."""
    return base_url(value.strip().rstrip("/")) if value.strip() else None
