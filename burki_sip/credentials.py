"""Parsers of the providers' credential settings, for ``config.py``: lists, keys, URLs.

Every parser accepts what it returns too, so checking an already checked config changes nothing.
Messages never repeat the value: these settings are secrets.
"""

from __future__ import annotations

import base64
import binascii
from typing import Iterable
from urllib.parse import urlsplit

from .parsers import accepts

ED25519_KEY_BYTES = 32


def _items(value: str | Iterable) -> list:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() if isinstance(item, str) else item for item in items
            if not isinstance(item, str) or item.strip()]


@accepts("values separated by commas, without spaces in a value")
def secret_list(value: str | Iterable[str]) -> tuple[str, ...] | None:
    """Comma-separated secrets (several during a rotation); none may contain spaces."""
    secrets = tuple(_items(value))
    if any(not isinstance(item, str) or any(char.isspace() for char in item) for item in secrets):
        raise ValueError("each comma-separated value must be text without spaces")
    return secrets or None


@accepts("base64 Ed25519 public keys (32 bytes), separated by commas")
def public_keys(value: str | Iterable[str | bytes]) -> tuple[bytes, ...] | None:
    """Comma-separated Ed25519 public keys, each base64 of 32 bytes (Telnyx's portal format)."""
    keys = []
    for item in _items(value):
        if isinstance(item, bytes):
            key = item
        else:
            try:
                key = base64.b64decode(item, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError("each key must be base64 (as the portal shows it)") from exc
        if len(key) != ED25519_KEY_BYTES:
            raise ValueError(f"each key must decode to {ED25519_KEY_BYTES} bytes (Ed25519)")
        keys.append(key)
    return tuple(keys) or None


@accepts("user:password pairs separated by commas")
def basic_credentials(value: str | Iterable[str]) -> tuple[str, ...] | None:
    """Comma-separated ``user:password`` pairs; both parts must be non-empty."""
    pairs = secret_list(value) or ()
    for pair in pairs:
        user, sep, password = pair.partition(":")
        if not (user and sep and password):
            raise ValueError("each entry must be user:password, both non-empty")
    return pairs or None


@accepts("an http(s)://host[:port][/prefix] URL (e.g. https://api.burki.dev)")
def public_url(value: str) -> str | None:
    """The base URL providers call: ``http(s)://host[:port][/prefix]``, no query or fragment."""
    text = value.strip().rstrip("/")
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must not have a query, a fragment or credentials")
    return text
