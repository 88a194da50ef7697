"""Marshmallow schemas for the bodies the bridge posts."""

from __future__ import annotations

import json
import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from .errors import CALL_SID_REQUIRED
from .payload import strict_loads

CALL_SID_MAX = 128
# Printable ASCII without space and without braces: the call_sid becomes part of a key and the
# braces around it are the Redis Cluster hash tag.
CALL_SID_PATTERN = re.compile(r"[!-z|~]+")
NUMBER_MAX = 64
TEXT_MAX = 4096
VARIABLES_MAX_BYTES = 16 * 1024
VARIABLES_MAX_DEPTH = 8


def check_call_sid(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is safe to use inside a Redis key."""
    if not value:
        raise ValidationError(CALL_SID_REQUIRED)
    if len(value) > CALL_SID_MAX:
        raise ValidationError(f"call_sid must be at most {CALL_SID_MAX} characters")
    if not CALL_SID_PATTERN.fullmatch(value):
        raise ValidationError("call_sid must be printable ASCII without spaces or braces")


def json_depth(value, limit: int) -> int:
    """Nesting depth of a decoded JSON value, counting stops once ``limit`` is passed."""
    if limit < 0 or not isinstance(value, (dict, list)):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((json_depth(child, limit - 1) for child in children), default=0)


def load_variables(value) -> tuple[dict | None, str | None]:
    """``variables`` as a dict and ``None``, or ``None`` and the name of the rule it breaks."""
    if isinstance(value, str):
        try:
            value = strict_loads(value)
        except (ValueError, RecursionError):
            return None, "invalid"
    if not isinstance(value, dict):
        return None, "invalid"
    if len(json.dumps(value, separators=(",", ":"))) > VARIABLES_MAX_BYTES:
        return None, "too_large"
    if json_depth(value, VARIABLES_MAX_DEPTH) > VARIABLES_MAX_DEPTH:
        return None, "too_deep"
    return value, None


class Variables(fields.Field):
    """A JSON object, given as an object or as a string holding one; always loaded as a dict."""

    default_error_messages = {
        "invalid": "variables must be a JSON object or a string holding one",
        "too_large": f"variables must encode to at most {VARIABLES_MAX_BYTES} bytes",
        "too_deep": f"variables must nest at most {VARIABLES_MAX_DEPTH} levels",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        loaded, problem = load_variables(value)
        if problem:
            raise self.make_error(problem)
        return loaded


def _text(maximum: int) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=maximum))


class PrewarmSchema(Schema):
    """``POST /sip-prewarm``: what the bridge knows about a call before media starts.

    Unknown fields are dropped (``EXCLUDE``): a bridge may add fields without being refused, and
    the stored context stays the documented contract with the media-stream handler.
    """

    class Meta:
        unknown = EXCLUDE

    call_sid = fields.String(
        required=True, validate=check_call_sid,
        error_messages={"required": CALL_SID_REQUIRED, "null": CALL_SID_REQUIRED},
    )
    from_number = _text(NUMBER_MAX)
    to_number = _text(NUMBER_MAX)
    outbound = fields.Boolean(allow_none=True)
    assistant_id = fields.Integer(allow_none=True, strict=True)
    welcome_message = _text(TEXT_MAX)
    agenda = _text(TEXT_MAX)
    variables = Variables(allow_none=True)


prewarm_schema = PrewarmSchema()


def _text_accepts(maximum: int):
    return lambda value: value is None or (type(value) is str and len(value) <= maximum)


# What the fast path takes as it is, per field, in PrewarmSchema's declared order (the order
# marshmallow loads in). Anything else goes to marshmallow, which accepts or names the error.
FAST_ACCEPTS = {
    "call_sid": lambda value: (type(value) is str and 0 < len(value) <= CALL_SID_MAX
                               and CALL_SID_PATTERN.fullmatch(value) is not None),
    "from_number": _text_accepts(NUMBER_MAX),
    "to_number": _text_accepts(NUMBER_MAX),
    "outbound": lambda value: value is None or type(value) is bool,
    "assistant_id": lambda value: value is None or type(value) is int,
    "welcome_message": _text_accepts(TEXT_MAX),
    "agenda": _text_accepts(TEXT_MAX),
}


def fast_load_prewarm(data: dict) -> dict | None:
    """What ``PrewarmSchema().load(data)`` returns, for the bodies that need no conversion.

    Returns ``None`` (and marshmallow decides) for anything else: a missing or odd call_sid, a
    value of another type than JSON gives for the field, a string over its limit, bad variables.
    tests/test_schemas_fast.py checks with hypothesis that whatever this accepts, marshmallow
    accepts identically, in the same key order.
    """
    if "call_sid" not in data:
        return None
    loaded = {}
    for name, accepts in FAST_ACCEPTS.items():
        if name in data:
            value = data[name]
            if not accepts(value):
                return None
            loaded[name] = value
    if "variables" in data:
        value = data["variables"]
        if value is not None:
            value, problem = load_variables(value)
            if problem:
                return None
        loaded["variables"] = value
    return loaded


def load_prewarm(data: dict) -> dict:
    """Validate a prewarm body: the fast path when it can, else marshmallow (same result)."""
    return fast_load_prewarm(data) or prewarm_schema.load(data)
