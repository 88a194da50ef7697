"""Marshmallow schemas for the bodies the bridge posts."""

from __future__ import annotations

import json
import re

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, validate

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


class Variables(fields.Field):
    """A JSON object, given as an object or as a string holding one; always loaded as a dict."""

    default_error_messages = {
        "invalid": "variables must be a JSON object or a string holding one",
        "too_large": f"variables must encode to at most {VARIABLES_MAX_BYTES} bytes",
        "too_deep": f"variables must nest at most {VARIABLES_MAX_DEPTH} levels",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                value = strict_loads(value)
            except ValueError as exc:
                raise self.make_error("invalid") from exc
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        if len(json.dumps(value, separators=(",", ":"))) > VARIABLES_MAX_BYTES:
            raise self.make_error("too_large")
        if json_depth(value, VARIABLES_MAX_DEPTH) > VARIABLES_MAX_DEPTH:
            raise self.make_error("too_deep")
        return value


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


class WebhookSchema(Schema):
    """``POST /sip-webhook`` (and, until it has a schema of its own, ``/sip-status``): any object.

    It documents the body for the OpenAPI document; the view keeps the whole body and checks only
    the call identifier (``sip.call_sid_of``), which may come as ``call_sid`` or as Twilio's
    ``CallSid``. Every other field is kept as sent (``INCLUDE``).
    """

    class Meta:
        unknown = INCLUDE

    call_sid = fields.String(validate=check_call_sid,
                             metadata={"description": "The call this event is about."})
    CallSid = fields.String(validate=check_call_sid,
                            metadata={"description": "Twilio-style name of ``call_sid``."})
