"""The SIP routes the bridge and providers call: prewarm, webhook and status."""

from __future__ import annotations

from flask import Blueprint, request
from marshmallow import ValidationError

from . import metrics, payload
from .apidoc import JSON_OR_FORM, doc
from .responses import PrewarmedSchema, ReceivedSchema
from .schemas import PrewarmSchema, WebhookSchema, check_call_sid
from .store import get_store
from .telemetry import note_call_sid

bp = Blueprint("sip", __name__)

prewarm_schema = PrewarmSchema()

# Where providers put the call identifier: the bridge's JSON, and Twilio-style forms.
CALL_SID_FIELDS = ("call_sid", "CallSid")


@bp.post("/sip-prewarm")
@doc({200: PrewarmedSchema}, body=PrewarmSchema, errors=(400, 413, 415, 503))
def prewarm():
    """Store the call's context for the media-stream handler, with its TTL."""
    context = prewarm_schema.load(payload.json_object(request))
    note_call_sid(context["call_sid"])
    get_store().save_context(context)
    metrics.prewarmed()
    return {"call_sid": context["call_sid"], "prewarmed": True}


@bp.post("/sip-webhook")
@doc({200: ReceivedSchema}, body=WebhookSchema, media=JSON_OR_FORM, errors=(400, 413, 415, 503))
def webhook():
    """Record an inbound-call or provider event in the webhook stream."""
    return record("webhook")


@bp.post("/sip-status")
@doc({200: ReceivedSchema}, body=WebhookSchema, media=JSON_OR_FORM, errors=(400, 413, 415, 503))
def status():
    """Record a status callback in the status stream."""
    return record("status")


def record(kind: str) -> dict:
    """Append the request body to the ``kind`` stream and answer with the entry id."""
    body = payload.json_or_form(request)
    call_sid = call_sid_of(body)
    note_call_sid(call_sid)
    event_id = get_store().record_event(kind, body, request.mimetype, call_sid)
    metrics.event_recorded(kind)
    return {"received": True, "event_id": event_id}


def call_sid_of(body: dict) -> str | None:
    """The call_sid a provider payload names, checked like a prewarm's; ``None`` when absent."""
    for name in CALL_SID_FIELDS:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError({name: ["call_sid must be a string"]})
        try:
            check_call_sid(str(value))
        except ValidationError as exc:
            raise ValidationError({name: exc.messages}) from exc
        return str(value)
    return None
