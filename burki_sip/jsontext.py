"""JSON text as Redis keeps it: ``strict_loads`` refuses what would break later, ``compact_json``."""

from __future__ import annotations

import json
import math
from typing import Any

# One encoder for every call: json.dumps with options builds a new JSONEncoder each time.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400 parses as inf: JSON has no infinity
        raise ValueError(f"{text} is out of range")
    return number


def strict_loads(data: bytes | str):
    """``json.loads`` refusing NaN, Infinity and numbers too large for a float (``1e400``), none of
    them JSON, and a lone surrogate's escape (``\\ud800``): UTF-8 cannot encode it, so it would
    fail later, while writing to Redis (a 500)."""
    value = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
    if ("\\u" if isinstance(data, str) else b"\\u") in data:
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("a string holds a lone surrogate, not valid Unicode text") from exc
    return value


def compact_json(value: Any) -> str:
    """JSON without spaces, non-ASCII kept as is: what ``redis-cli`` shows as text."""
    return _COMPACT.encode(value)
