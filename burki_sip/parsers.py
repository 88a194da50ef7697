"""How each setting's text is read: one parser per kind of value, each naming the form it accepts.

A parser raises ``ValueError`` saying what is wrong with a value (``"not a whole number"``); its
``accepts`` (set by ``@accepts``) says what is right, and ``config.problem`` joins the two into the
one line a bad setting gets.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping

from .network import parse_networks
from .signatures import parse_secrets

# redis-py's names for ssl.CERT_REQUIRED, CERT_OPTIONAL and CERT_NONE.
CERT_REQS = ("required", "optional", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def accepts(form: str) -> Callable[[Callable], Callable]:
    """Note on a parser the form it accepts, for the one-line start-up error (``problem()``)."""
    def mark(parse: Callable) -> Callable:
        parse.accepts = form
        return parse
    return mark


def _integer(value: str | int) -> int:
    if isinstance(value, bool):
        raise ValueError("not a whole number")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError("not a whole number") from None


def _number(value: str | float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("not a number") from None
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


@accepts("a whole number, 1 or more")
def positive_int(value: str | int) -> int:
    number = _integer(value)
    if number <= 0:
        raise ValueError(f"{number} is less than 1")
    return number


@accepts("a whole number, 0 or more")
def non_negative_int(value: str | int) -> int:
    number = _integer(value)
    if number < 0:
        raise ValueError(f"{number} is negative")
    return number


@accepts("a number, 0 or more (e.g. 0.5)")
def non_negative_float(value: str | float) -> float:
    number = _number(value)
    if number < 0:
        raise ValueError(f"{number:g} is negative")
    return number


@accepts("a number of seconds above 0 (e.g. 2.5)")
def seconds(value: str | float) -> float:
    number = _number(value)
    if number <= 0:
        raise ValueError(f"{number:g} is not above 0")
    return number


@accepts("true or false (also 1/0, yes/no, on/off)")
def boolean(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("not a yes/no value")


@accepts("a non-empty key prefix without spaces or braces (e.g. burki:sip)")
def prefix(value: str) -> str:
    prefix = value.strip()
    if not prefix:
        raise ValueError("empty")
    if any(char.isspace() or char in "{}" for char in prefix):
        raise ValueError("contains a space or a brace")
    return prefix


@accepts(f"one of {', '.join(LOG_LEVELS)}")
def log_level(value: str) -> str:
    level = str(value).strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError("not a log level")
    return level


def stripped(value: str) -> str | None:
    """The value without surrounding spaces; empty (or only spaces) leaves the setting unset."""
    return value.strip() or None


@accepts(f"a URL starting with {', '.join(REDIS_SCHEMES)} (e.g. redis://localhost:6379/0)")
def redis_url(value: str) -> str | None:
    url = stripped(value)
    scheme = (url or "").partition("://")[0].lower()
    if url and ("://" not in url or scheme + "://" not in REDIS_SCHEMES):
        raise ValueError(f"scheme {scheme!r} is not a Redis scheme" if "://" in url
                         else "not a URL")
    return url


@accepts("keys separated by commas, without spaces in a key")
def key_list(value: str | Iterable[str]) -> tuple[str, ...] | None:
    items = value.split(",") if isinstance(value, str) else list(value)
    keys = tuple(item.strip() for item in items if item.strip())
    if any(any(char.isspace() for char in key) for key in keys):
        raise ValueError("a key contains a space")
    return keys or None


def optional(parse: Callable[[Any], tuple], form: str) -> Callable[[Any], tuple | None]:
    @accepts(form)
    def parse_optional(value):
        return parse(value) or None
    return parse_optional


@accepts(f"one of {', '.join(CERT_REQS)}")
def cert_reqs(value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in CERT_REQS:
        raise ValueError("not a certificate check mode")
    return lowered


@accepts("host:port pairs separated by commas (e.g. 10.0.0.1:26379,10.0.0.2:26379)")
def addresses(value: str | list) -> list[tuple[str, int]] | None:
    """``host:port,host:port`` as a list of pairs (a list of pairs is kept as it is)."""
    if not isinstance(value, str):
        return [(str(host), int(port)) for host, port in value] or None
    pairs = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"{item!r} is not host:port")
        pairs.append((host.strip("[]"), int(port)))  # [::1]:26379 is IPv6
    return pairs or None


@accepts("user:password pairs separated by commas (a password may not be empty)")
def logins(value: str | Mapping[str, str]) -> dict[str, str] | None:
    """``user:password,user:password`` as a mapping (a mapping is kept as it is)."""
    if not isinstance(value, str):
        return dict(value) or None
    users = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        user, sep, password = item.partition(":")
        if not sep or not user.strip() or not password:
            raise ValueError("an entry is not user:password")
        users[user.strip()] = password
    return users or None


@accepts("a TCP port, 1 to 65535")
def port(value: str | int) -> int:
    port = _integer(value)
    if not 0 < port < 65536:
        raise ValueError(f"{port} is out of range")
    return port


webhook_secrets = optional(parse_secrets, "whsec_ followed by base64 of 24 bytes or more; "
                                             "several separated by commas or spaces")
allowed_ips = optional(parse_networks,
                       "IP addresses or CIDR ranges, separated by commas or spaces")
