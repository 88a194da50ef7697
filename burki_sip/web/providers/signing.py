"""What a provider signature is checked against (``Signed``), and the scheme each provider declares.

A provider module declares its ``Scheme``: the settings that enable it, the header that shows a
request claims it, and ``verify(credentials, signed)``, which returns when the request verifies
and raises ``SignatureError`` saying why not. Every comparison is constant-time.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

import jwt

from ...signatures import SignatureError

__all__ = ["Scheme", "Signed", "SignatureError", "any_equal", "bearer_jwt", "jwt_claims",
           "port_variants", "shown_url"]

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Signed:
    """One request as a signature sees it.

    ``url`` is the public URL the provider called (``SIP_PUBLIC_URL`` + path + query, else the
    URL as received); ``form`` the URL-encoded fields (each with all its values) when the body is
    a URL-encoded form, else ``None``; ``now`` the time of the check (Unix seconds).
    """

    url: str
    headers: Mapping[str, str]
    body: bytes
    form: dict[str, list[str]] | None
    now: float


@dataclass(frozen=True)
class Scheme:
    """One provider's native authentication."""

    name: str
    settings: tuple[str, ...]
    header: str
    presented: Callable[[Mapping[str, str]], bool]
    verify: Callable[[tuple, Signed], None]
    summary: str

    def credentials(self, config: Mapping) -> tuple:
        """The configured credentials of its settings, empty when unset."""
        return tuple(value for name in self.settings for value in config.get(name) or ())


def any_equal(expected: list[bytes], offered: list[bytes]) -> bool:
    """True when one offered value equals one expected; every pair compared, none skipped."""
    matched = False
    for value in expected:
        for candidate in offered:
            matched |= hmac.compare_digest(value, candidate)
    return matched


def bearer_jwt(headers) -> str | None:
    """The JWT of ``Authorization: Bearer <jwt>`` (three dot-separated parts), if any."""
    scheme, _, token = (headers.get("Authorization") or "").strip().partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else scheme
    return token if token.count(".") == 2 else None


def jwt_claims(token: str | None, attempts: Iterable[dict]) -> dict | None:
    """The claims of ``token`` under the first HS256 ``jwt.decode`` arguments of ``attempts``
    that verify it; every attempt is made, so no early exit shows which key matched."""
    claims = None
    for arguments in attempts:
        try:
            decoded = jwt.decode(token, algorithms=["HS256"], **arguments)
        except jwt.InvalidTokenError:
            continue
        claims = claims or decoded
    return claims


def port_variants(url: str) -> list[str]:
    """``url`` without and with its scheme's default port (Twilio signs either, its SDK says)."""
    parts = urlsplit(url)
    default = DEFAULT_PORTS.get(parts.scheme)
    host = parts.netloc.rpartition("@")[2]
    bare = host.rsplit(":", 1)[0] if parts.port else host
    variants = [urlunsplit(parts._replace(netloc=bare))]
    if default and parts.port in (None, default):
        variants.append(urlunsplit(parts._replace(netloc=f"{bare}:{default}")))
    elif parts.port:
        variants = [url]
    return variants



def shown_url(url: str) -> str:
    """``url`` as a refusal may say it: no query values (call ids, tokens) and no ``user:pass@``."""
    parts = urlsplit(url)
    bare = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    return f"{bare} (its query was signed too; not shown)" if parts.query else bare
