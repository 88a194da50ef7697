"""How each setting's text is read: one parser per kind of value, each naming the form it accepts.

A parser's ``ValueError`` says what is wrong (``"not a whole number"``), its ``accepts`` what is
right: ``config`` joins the two into a bad setting's one line. A parser accepts what it returns.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .network import network
from .signatures import decode_secret

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def accepts(form: str) -> Callable[[Callable], Callable]:
    """Note on a parser the form it accepts, for the one-line start-up error."""
    def mark(parse: Callable) -> Callable:
        parse.accepts = form
        return parse
    return mark


def _integer(value: str | int) -> int:
    try:
        return int(str(value))  # through str: True and 2.5 are not whole numbers
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


def bounded(read: Callable[[Any], float], low: float, form: str, above: bool = False,
            high: float = math.inf) -> Callable[[Any], float]:
    """A parser of the numbers ``read`` gives from ``low`` (or ``above`` it) to ``high``."""
    @accepts(form)
    def parse_number(value):
        number = read(value)
        if number < low or (above and number == low):
            raise ValueError(f"{number:g} is {'not above' if above else 'less than'} {low:g}")
        if number > high:
            raise ValueError(f"{number:g} is more than {high:g}")
        return number
    return parse_number


positive_int = bounded(_integer, 1, "a whole number, 1 or more")
non_negative_int = bounded(_integer, 0, "a whole number, 0 or more")
non_negative_float = bounded(_number, 0, "a number, 0 or more (e.g. 0.5)")
seconds = bounded(_number, 0, "a number of seconds above 0 (e.g. 2.5)", above=True)
port = bounded(_integer, 1, "a TCP port, 1 to 65535", high=65535)


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


def one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    """A parser of one of ``choices``, in any case."""
    @accepts(f"one of {', '.join(choices)}")
    def parse_choice(value: str) -> str:
        for choice in choices:
            if value.strip().lower() == choice.lower():
                return choice
        raise ValueError("not one of these")
    return parse_choice


cert_reqs = one_of(("required", "optional", "none"))  # redis-py's names for ssl.CERT_*
log_level = one_of(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))


@accepts("a non-empty key prefix without spaces or braces (e.g. burki:sip)")
def prefix(value: str) -> str:
    prefix = value.strip()
    if not prefix:
        raise ValueError("empty")
    if any(char.isspace() or char in "{}" for char in prefix):
        raise ValueError("contains a space or a brace")
    return prefix


def stripped(value: str) -> str | None:
    """The value without surrounding spaces; empty (or only spaces) leaves the setting unset."""
    return value.strip() or None


@accepts(f"a URL starting with {', '.join(REDIS_SCHEMES)} (e.g. redis://localhost:6379/0)")
def redis_url(value: str) -> str | None:
    url = stripped(value)
    if url and not url.lower().startswith(REDIS_SCHEMES):
        scheme = url.partition("://")[0].lower()
        raise ValueError(f"scheme {scheme!r} is not a Redis scheme" if "://" in url else "not a URL")
    return url


def listed(item: Callable[[Any], Any], form: str,
           spaces: bool = False) -> Callable[[Any], tuple | None]:
    """A parser of items separated by commas (or, with ``spaces``, by commas or spaces), each
    read by ``item``; ``None`` when there are none. A list or tuple is read item by item."""
    @accepts(form)
    def parse_list(value):
        if isinstance(value, str):
            value = value.replace(",", " ").split() if spaces else value.split(",")
        items = (part.strip() if isinstance(part, str) else part for part in value)
        return tuple(item(part) for part in items if part != "") or None
    return parse_list


def host_port(item: str | tuple) -> tuple[str, int]:
    """``host:port`` (``[::1]:26379`` for IPv6) as a pair; a pair as it is."""
    if not isinstance(item, str):
        host, port = item
        return str(host), int(port)
    host, sep, port = item.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"{item!r} is not host:port")
    return host.strip("[]"), int(port)


addresses = listed(host_port, "host:port pairs separated by commas "
                              "(e.g. 10.0.0.1:26379,10.0.0.2:26379)")
webhook_secrets = listed(decode_secret, "whsec_ followed by base64 of 24 bytes or more; several "
                                        "separated by commas or spaces", spaces=True)
allowed_ips = listed(network, "IP addresses or CIDR ranges, separated by commas or spaces",
                     spaces=True)
