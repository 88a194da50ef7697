"""The SIP routes the bridge and providers call: prewarm, webhook and status, and their reads."""

from __future__ import annotations

import json

from flask import Response, current_app, request
from marshmallow import Schema, fields, validate

from ..calls.lifecycle import status_view
from ..calls.store import Recorded
from . import auth, callbacks, metrics, payload, query
from .blueprint import Blueprint, errors, posted
from .errors import ApiError
from .extension import get_store
from .providers.registry import NAMES
from .responses import (CallStatusSchema, ContextSchema, PrewarmedSchema, ReceivedSchema,
                        StatusReceivedSchema)
from .schemas import (CallPathSchema, PrewarmSchema, StatusSchema, TwilioStatusSchema,
                      WebhookSchema, check_call_sid)
from .telemetry import note_call_sid, note_outcome

bp = auth.guarded(Blueprint("sip", __name__))

# Flask's own JSON settings for a string (ASCII only), kept for the hot path's response.
_JSON_STRING = json.JSONEncoder()

DELIVERY_HEADERS = ("webhook-id", "Idempotency-Key")
DELIVERY_ID_MAX = 200


def _delivery_id(header: str, description: str) -> fields.String:
    """A delivery id header, as ``delivery_id`` accepts it."""
    return fields.String(data_key=header, validate=validate.Length(1, DELIVERY_ID_MAX), metadata={
        "pattern": "^[!-~]+$", "description": description + ": a repeat within "
        "`SIP_DEDUPE_TTL` is answered `duplicate: true` and recorded nowhere."})


class DeliverySchema(Schema):
    """The headers of a delivery that make its repeats duplicates (read by ``delivery_id``)."""

    webhook_id = _delivery_id("webhook-id", "Standard Webhooks delivery id")
    idempotency_key = _delivery_id("Idempotency-Key", "Used when there is no `webhook-id`")


class CallbackQuerySchema(Schema):
    """The query of a callback URL the bridge gave a provider (read by ``callbacks``)."""

    provider = fields.String(validate=validate.OneOf(NAMES), metadata={
        "description": "Read the payload as this provider's (it is detected from the body and "
                       "headers otherwise)."})
    call_sid = fields.String(validate=check_call_sid, metadata={
        "description": "The bridge's call_sid: the event is recorded under it, the provider's "
                       "call id kept as `provider_call_id`."})


CALLBACK_PARAMETERS = [{"in": "header", "schema": DeliverySchema},
                       {"in": "query", "schema": CallbackQuerySchema}]
# A GET callback's own fields, which the provider puts in the URL.
QUERY_CALLBACK_PARAMETERS = [*CALLBACK_PARAMETERS, {
    "in": "query", "name": "fields", "style": "form", "explode": True,
    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
    "description": "The callback's fields as the provider sends them with GET (jambonz's hooks, "
                   "Vonage's answer and event webhooks, ...): read, authenticated and recorded "
                   "as the same fields posted as a form (docs/providers.md)."}]


@bp.post("/sip-prewarm")
@bp.arguments(PrewarmSchema())
@bp.response(200, PrewarmedSchema)
@errors(400, 413, 415, 503)
def prewarm(context: dict):
    """Store the call's context for the media-stream handler, with its TTL."""
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
@bp.arguments(CallPathSchema(), location="path", as_kwargs=True)
@bp.response(200, ContextSchema)
@errors(400, 404, 503)
def prewarmed_context(call_sid: str):
    """A call's context, its remaining TTL and whether a media stream claimed it."""
    note_call_sid(call_sid)
    context, ttl, claimed = get_store().inspect_context(call_sid)
    if context is None:
        raise ApiError(f"no context for call {call_sid} (never prewarmed, or expired)", 404)
    return {"call_sid": call_sid, "context": context, "ttl": ttl, "claimed": claimed}


@bp.post("/sip-webhook")
@posted(WebhookSchema, parameters=CALLBACK_PARAMETERS)
@bp.response(200, ReceivedSchema)
@errors(400, 413, 415, 503)
def webhook():
    """Record an inbound-call or provider event; a provider event's call state moves the call.

    Any provider's payload is accepted as it sends it (docs/providers.md). An event whose call
    cannot be identified is still recorded, marked ``unattributed``.
    """
    return record_webhook(payload.json_or_form(request), request.mimetype)


@bp.get("/sip-webhook")
@Blueprint.doc(parameters=QUERY_CALLBACK_PARAMETERS)
@bp.response(200, ReceivedSchema)
@errors(400, 413, 503)
def webhook_query():
    """Record a provider event sent with GET: its fields are the query string.

    Detected, authenticated and recorded as the same fields posted as a form.
    """
    return record_webhook(query.callback_fields(request), query.CONTENT_TYPE)


def record_webhook(body: dict, content_type: str) -> dict:
    """Record a webhook's payload; a provider event's state moves its call."""
    adapter, reading = callbacks.read(request, body)
    call_sid = callbacks.call_sid_of(*callbacks.lifecycle_source(request, adapter, reading, body))
    note_call_sid(call_sid)
    note_outcome(provider=reading.provider)
    transition = callbacks.with_reading(
        callbacks.webhook_transition(adapter, reading, call_sid, body), reading)
    recorded = get_store().record_event("webhook", body, content_type, call_sid, delivery_id(),
                                        transition, callbacks.entry_fields(reading, call_sid))
    if call_sid is None and not recorded.duplicate:  # counted once it is in the stream
        metrics.event_unattributed(reading.provider)
    return received("webhook", recorded)


@bp.post("/sip-status")
@posted({"anyOf": [StatusSchema, TwilioStatusSchema]}, parameters=CALLBACK_PARAMETERS)
@bp.response(200, StatusReceivedSchema)
@errors(400, 413, 415, 503)
def status():
    """Record a status callback and fold it into the call's lifecycle.

    Besides the bridge's JSON and Twilio-style forms (the schemas below), the callbacks of Twilio,
    SignalWire, Telnyx, jambonz, Vonage, Plivo and LiveKit are understood as each provider sends
    them (docs/providers.md); a payload whose call or status is not found is a 400 naming the
    provider and the field.
    """
    return record_status(payload.json_or_form(request), request.mimetype)


@bp.get("/sip-status")
@Blueprint.doc(parameters=QUERY_CALLBACK_PARAMETERS)
@bp.response(200, StatusReceivedSchema)
@errors(400, 413, 503)
def status_query():
    """Record a status callback sent with GET: its fields are the query string.

    jambonz's call status hook and Vonage's event webhook can be sent so; read, authenticated
    and folded into the call's lifecycle as the same fields posted as a form.
    """
    return record_status(query.callback_fields(request), query.CONTENT_TYPE)


def record_status(body: dict, content_type: str) -> dict:
    """Record a status callback's payload and fold it into its call's lifecycle."""
    adapter, reading = callbacks.read(request, body)
    value, field = callbacks.lifecycle_source(request, adapter, reading, body)
    callback = callbacks.status_callback(adapter, reading, value, field)
    note_call_sid(callback["call_sid"])
    note_outcome(provider=reading.provider)
    transition = None if reading.stateless else callbacks.with_reading(
        callbacks.transition_of(callback), reading)
    recorded = get_store().record_event("status", body, content_type, callback["call_sid"],
                                        delivery_id(), transition,
                                        callbacks.entry_fields(reading, callback["call_sid"]))
    return {**received("status", recorded), "call_sid": callback["call_sid"],
            "status": recorded.status, "applied": recorded.applied}


@bp.get("/sip-status/<call_sid>")
@bp.arguments(CallPathSchema(), location="path", as_kwargs=True)
@bp.response(200, CallStatusSchema)
@errors(400, 404, 503)
def call_status(call_sid: str):
    """A call's current status, timeline and facts."""
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
