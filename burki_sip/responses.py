"""Marshmallow schemas of what the service answers, for the OpenAPI document (``openapi.py``).

Request bodies are described by the schemas that validate them (``schemas.py``); these describe the
JSON the views return, so the document and schemathesis can hold the answers to them.
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
        "description": "Id of the stream entry the request was recorded as (``XADD``)."})


class HealthSchema(Schema):
    """The answer of ``/healthz`` and ``/readyz`` when all is well."""

    status = fields.String(required=True, validate=validate.OneOf(("ok", "ready")))
