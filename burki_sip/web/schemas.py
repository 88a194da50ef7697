"""Marshmallow schemas for the bodies the bridge posts."""

from __future__ import annotations

import json
import re
from typing import Callable

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, validate

from ..jsontext import strict_loads
from .errors import CALL_SID_REQUIRED

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


def call_sid_field(**kwargs) -> fields.String:
    """A body's ``call_sid``: required, and safe to use inside a Redis key."""
    return fields.String(required=True, validate=check_call_sid, error_messages={
        "required": CALL_SID_REQUIRED, "null": CALL_SID_REQUIRED}, **kwargs)


def core_rule(check: Callable[[str], object]) -> Callable[[str], None]:
    """A marshmallow validator from a rule of the core, which raises ``ValueError``."""
    def validator(value: str) -> None:
        try:
            check(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
    return validator


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
            except (ValueError, RecursionError):
                raise self.make_error("invalid") from None
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        if len(json.dumps(value, separators=(",", ":"))) > VARIABLES_MAX_BYTES:
            raise self.make_error("too_large")
        if json_depth(value, VARIABLES_MAX_DEPTH) > VARIABLES_MAX_DEPTH:
            raise self.make_error("too_deep")
        return value


def _bounded_string(maximum: int) -> fields.String:
    """A string field of at most ``maximum`` characters that may be null."""
    return fields.String(allow_none=True, validate=validate.Length(max=maximum))


class PrewarmSchema(Schema):
    """``POST /sip-prewarm``: what the bridge knows about a call before media starts.

    Unknown fields are dropped (``EXCLUDE``): a bridge may add fields without being refused, and
    the stored context stays the contract with the media-stream handler.
    """

    class Meta:
        unknown = EXCLUDE

    call_sid = call_sid_field()
    from_number = _bounded_string(NUMBER_MAX)
    to_number = _bounded_string(NUMBER_MAX)
    outbound = fields.Boolean(allow_none=True)
    assistant_id = fields.Integer(allow_none=True, strict=True)
    welcome_message = _bounded_string(TEXT_MAX)
    agenda = _bounded_string(TEXT_MAX)
    variables = Variables(allow_none=True)


def check_timestamp(value) -> None:
    """A provider timestamp is kept as given, but must be a short string or a plain number."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationError("timestamp must be a string or a number")
    if isinstance(value, str) and len(value) > NUMBER_MAX:
        raise ValidationError(f"timestamp must be at most {NUMBER_MAX} characters")


class WholeNumber(fields.Integer):
    """An integer given as a JSON integer or, as forms send it, a string of digits; never a float."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.make_error("invalid")
        if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StatusSchema(Schema):
    """``POST /sip-status``: one status callback, from the bridge's JSON or a Twilio-style form;
    unknown fields are dropped here (``EXCLUDE``), but the stream entry keeps the whole body."""

    class Meta:
        unknown = EXCLUDE

    call_sid = call_sid_field()
    status = _bounded_string(64)
    sip_code = WholeNumber(allow_none=True, validate=validate.Range(100, 699))
    reason = _bounded_string(256)
    timestamp = fields.Raw(allow_none=True, validate=check_timestamp)
    sequence = WholeNumber(allow_none=True, validate=validate.Range(0, 2**53))
    duration = WholeNumber(allow_none=True, validate=validate.Range(0, 2**31))


# Twilio-style form names of StatusSchema's fields; the view renames them before validating.
TWILIO_STATUS_FIELDS = {"CallSid": "call_sid", "CallStatus": "status", "SipResponseCode": "sip_code",
                        "Timestamp": "timestamp", "SequenceNumber": "sequence",
                        "CallDuration": "duration"}

# The same callback under Twilio's names, for the OpenAPI document: StatusSchema's own fields.
_STATUS_FIELDS = StatusSchema().declared_fields  # unbound copies
TwilioStatusSchema = type("TwilioStatusSchema", (Schema,), {"Meta": StatusSchema.Meta, **{
    twilio: _STATUS_FIELDS[ours] for twilio, ours in TWILIO_STATUS_FIELDS.items()}})


class CallPathSchema(Schema):
    """A ``call_sid`` in the URL (``/sip-status/{call_sid}``): the same rule as in a body."""

    call_sid = call_sid_field(metadata={"description": "The call's identifier, as in the prewarm."})


class WebhookSchema(Schema):
    """``POST /sip-webhook``, for the OpenAPI document: any object, kept whole (``INCLUDE``); the
    view checks only the call identifier, ``call_sid`` or Twilio's ``CallSid``."""

    class Meta:
        unknown = INCLUDE

    call_sid = fields.String(validate=check_call_sid,
                             metadata={"description": "The call this event is about."})
    CallSid = fields.String(validate=check_call_sid,
                            metadata={"description": "Twilio-style name of ``call_sid``."})
