"""The SIP routes the bridge and providers call: prewarm, webhook and status, and their reads."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError

from ..calls.lifecycle import status_view
from ..calls.store import Recorded
from . import auth, callbacks, metrics, payload
from .apidoc import JSON_OR_FORM, doc
from .errors import ApiError
from .extension import get_store
from .openapi_parts import CALLBACK_PARAMETERS, PROVIDER_ERRORS
from .responses import (CallStatusSchema, ContextSchema, PrewarmedSchema, ReceivedSchema,
                        StatusReceivedSchema)
from .schemas import (PrewarmSchema, StatusSchema, TwilioStatusSchema, WebhookSchema,
                      check_call_sid)
from .telemetry import note_call_sid, note_outcome

bp = auth.guarded(Blueprint("sip", __name__))

prewarm_schema = PrewarmSchema()

# Flask's own JSON settings for a string (ASCII only), kept for the hot path's response.
_JSON_STRING = json.JSONEncoder()

DELIVERY_HEADERS = ("webhook-id", "Idempotency-Key")
DELIVERY_ID_MAX = 200


@bp.post("/sip-prewarm")
@doc({200: PrewarmedSchema}, body=PrewarmSchema, errors=(400, 413, 415, 503))
def prewarm():
    """Store the call's context for the media-stream handler, with its TTL."""
    context = prewarm_schema.load(payload.json_object(request))
    note_call_sid(context["call_sid"])
    get_store().save_context(context)
    note_outcome(prewarmed=True)
    metrics.prewarmed()
    return prewarmed(context["call_sid"])


def prewarmed(call_sid: str) -> Response:
    """The prewarm answer, byte for byte what returning the dict gives, without the generic path."""
    body = f'{{"call_sid":{_JSON_STRING.encode(call_sid)},"prewarmed":true}}\n'
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/sip-prewarm/<call_sid>")
@doc({200: ContextSchema}, errors=(400, 404, 503))
def prewarmed_context(call_sid: str):
    """A call's context, its remaining TTL and whether a media stream claimed it."""
    checked_path_call_sid(call_sid)
    note_call_sid(call_sid)
    context, ttl, claimed = get_store().inspect_context(call_sid)
    if context is None:
        raise ApiError(f"no context for call {call_sid} (never prewarmed, or expired)", 404)
    return {"call_sid": call_sid, "context": context, "ttl": ttl, "claimed": claimed}


@bp.post("/sip-webhook")
@doc({200: ReceivedSchema}, body=WebhookSchema, media=JSON_OR_FORM, errors=PROVIDER_ERRORS,
     parameters=CALLBACK_PARAMETERS)
def webhook():
    """Record an inbound-call or provider event; a provider event's call state moves the call.

    Any provider's payload is accepted as it sends it (docs/providers.md). An event whose call
    cannot be identified is still recorded, marked ``unattributed``.
    """
    body = payload.json_or_form(request)
    adapter, reading = callbacks.read(request, body)
    call_sid = callbacks.call_sid_of(*callbacks.lifecycle_source(request, adapter, reading, body))
    note_call_sid(call_sid)
    note_outcome(provider=reading.provider)
    transition = callbacks.with_provider(
        callbacks.webhook_transition(adapter, reading, call_sid, body), reading)
    recorded = get_store().record_event("webhook", body, request.mimetype, call_sid,
                                        delivery_id(), transition,
                                        callbacks.entry_fields(reading, call_sid))
    if call_sid is None and not recorded.duplicate:  # counted once it is in the stream
        metrics.event_unattributed(reading.provider)
    return received("webhook", recorded)


@bp.post("/sip-status")
@doc({200: StatusReceivedSchema}, body={"anyOf": [StatusSchema, TwilioStatusSchema]},
     media=JSON_OR_FORM, errors=PROVIDER_ERRORS, parameters=CALLBACK_PARAMETERS)
def status():
    """Record a status callback and fold it into the call's lifecycle.

    Besides the bridge's JSON and Twilio-style forms (the schemas below), the callbacks of Twilio,
    SignalWire, Telnyx, jambonz, Vonage, Plivo and LiveKit are understood as each provider sends
    them (docs/providers.md); a payload whose call or status is not found is a 400 naming the
    provider and the field.
    """
    body = payload.json_or_form(request)
    adapter, reading = callbacks.read(request, body)
    value, field = callbacks.lifecycle_source(request, adapter, reading, body)
    callback = callbacks.status_callback(adapter, reading, value, field)
    note_call_sid(callback["call_sid"])
    note_outcome(provider=reading.provider)
    transition = None if reading.stateless else callbacks.with_provider(
        callbacks.transition_of(callback), reading)
    recorded = get_store().record_event("status", body, request.mimetype, callback["call_sid"],
                                        delivery_id(), transition,
                                        callbacks.entry_fields(reading, callback["call_sid"]))
    return {**received("status", recorded), "call_sid": callback["call_sid"],
            "status": recorded.status, "applied": recorded.applied}


@bp.get("/sip-status/<call_sid>")
@doc({200: CallStatusSchema}, errors=(400, 404, 503))
def call_status(call_sid: str):
    """A call's current status, timeline and facts."""
    checked_path_call_sid(call_sid)
    note_call_sid(call_sid)
    state, ttl = get_store().load_status(call_sid)
    if state is None:
        raise ApiError(f"no status for call {call_sid}", 404)
    return status_view(call_sid, state, ttl)


def received(stream: str, recorded: Recorded) -> dict:
    """The common part of the webhook and status answers; counts and logs what was recorded."""
    answer = {"received": True, "event_id": recorded.event_id}
    note_outcome(event_id=recorded.event_id, duplicate=recorded.duplicate)
    if recorded.status is not None:
        note_outcome(call_status=recorded.status, applied=recorded.applied)
    if recorded.duplicate:
        answer["duplicate"] = True
        metrics.duplicate_dropped(stream)
        return answer
    metrics.event_recorded(stream)
    if recorded.applied:
        metrics.status_transition(recorded.status)
    return answer


def checked_path_call_sid(call_sid: str) -> None:
    """A call_sid taken from the URL follows the same rule as one in a body."""
    try:
        check_call_sid(call_sid)
    except ValidationError as exc:
        raise ValidationError({"call_sid": exc.messages}) from exc


def delivery_id() -> str | None:
    """The delivery's ``webhook-id`` (Standard Webhooks) or ``Idempotency-Key``, if sent."""
    for header in DELIVERY_HEADERS:
        value = request.headers.get(header)
        if value is None:
            continue
        if not value or len(value) > DELIVERY_ID_MAX or not value.isprintable() or " " in value:
            raise ApiError(f"{header} must be 1 to {DELIVERY_ID_MAX} printable characters "
                           "without spaces")
        return value
    return None
