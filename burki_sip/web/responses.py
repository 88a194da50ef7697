"""Marshmallow schemas of the SIP routes' answers: ``@bp.response`` serialises through them.

So an answer holds exactly the fields the OpenAPI document gives it (``schemas.py`` holds the
bodies the routes load).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class ErrorSchema(Schema):
    """Every error body: a message, and per-field messages when a body failed validation."""

    error = fields.String(required=True, metadata={"description": "What went wrong."})
    field_messages = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), data_key="fields",
        metadata={"description": "Messages per invalid field (validation failures only)."},
    )


class PrewarmedSchema(Schema):
    """The answer to ``POST /sip-prewarm``."""

    call_sid = fields.String(required=True)
    prewarmed = fields.Boolean(required=True, validate=validate.Equal(True))


class ReceivedSchema(Schema):
    """The answer to ``POST /sip-webhook`` and ``POST /sip-status``."""

    received = fields.Boolean(required=True, validate=validate.Equal(True))
    event_id = fields.String(required=True, metadata={
        "description": "Id of the stream entry the request was recorded as (``XADD``); for a "
                       "duplicate, the first delivery's."})
    duplicate = fields.Boolean(validate=validate.Equal(True), metadata={
        "description": "Present when the delivery's `webhook-id`/`Idempotency-Key` was seen "
                       "before: nothing was recorded."})


class StatusReceivedSchema(ReceivedSchema):
    """The answer to ``POST /sip-status``: what was received, and the call's status after it."""

    call_sid = fields.String(required=True)
    status = fields.String(required=True, allow_none=True)
    applied = fields.Boolean(required=True, metadata={
        "description": "Whether this callback moved the call's status (see docs/lifecycle.md)."})


class ContextSchema(Schema):
    """The answer to ``GET /sip-prewarm/{call_sid}``."""

    call_sid = fields.String(required=True)
    context = fields.Dict(required=True, metadata={
        "description": "The stored prewarm fields (nulls dropped) and `prewarmed_at`."})
    ttl = fields.Integer(required=True, metadata={"description": "Seconds the context has left."})
    claimed = fields.Boolean(required=True, metadata={
        "description": "Whether a media stream holds a claim on the context now."})


class CallStatusSchema(Schema):
    """The answer to ``GET /sip-status/{call_sid}`` (see docs/lifecycle.md)."""

    call_sid = fields.String(required=True)
    status = fields.String(required=True, allow_none=True)
    terminal = fields.Boolean(required=True)
    timeline = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "When each status was first reached (ISO 8601 UTC), in rank order, with "
                       "the latest `claimed` and `released` of the call's context among them."})
    sip_code = fields.String()
    reason = fields.String()
    sequence = fields.String()
    duration = fields.String()
    updated_at = fields.String()
    claimed_by = fields.String(metadata={"description": "Owner of the latest claim."})
    ttl = fields.Integer(metadata={"description": "Seconds the status has left."})
    dial_status = fields.String(metadata={
        "description": "How the leg the call's latest `<Dial>` dialled ended (canonical status)."})
    dial_sip_code = fields.String(metadata={"description": "That leg's SIP response code."})
    dial_duration = fields.String(metadata={"description": "That leg's duration (seconds)."})
    dial_call_sid = fields.String(metadata={"description": "That leg's own call id."})
