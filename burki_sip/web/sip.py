"""The SIP routes the bridge and providers call: prewarm, webhook and status, and their reads."""

from __future__ import annotations

from typing import Callable

from flask import jsonify, request

from ..calls.lifecycle import status_view
from ..calls.store import Recorded
from . import auth, callbacks, metrics, payload
from .blueprint import Blueprint, errors, posted
from .errors import ApiError
from .extension import get_store
from .payload import CALLBACK_PARAMETERS, QUERY_CALLBACK_PARAMETERS, delivery_id
from .responses import (CallStatusSchema, ContextSchema, PrewarmedSchema, ReceivedSchema,
                        StatusReceivedSchema)
from .schemas import (CallPathSchema, PrewarmSchema, StatusSchema, TwilioStatusSchema,
                      WebhookSchema)
from .telemetry import note_call_sid, note_outcome

bp = auth.guarded(Blueprint("sip", __name__))


@bp.post("/sip-prewarm")
@bp.arguments(PrewarmSchema())
@bp.response(200, PrewarmedSchema)
@errors(400, 413, 415, 503)
def prewarm(context: dict):
    """Store the call's context for the media-stream handler, with its TTL."""
    note_call_sid(context["call_sid"])
    get_store().save_context(context)
    note_outcome(prewarmed=True)
    metrics.PREWARMS.inc()
    # A Response, which flask-smorest passes as it is: the hot path skips dumping two fields
    # through PrewarmedSchema (about 25 µs, 3 % of a prewarm: docs/PERFORMANCE.md).
    return jsonify(call_sid=context["call_sid"], prewarmed=True)


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
    return record("webhook", *payload.callback_body(request))


def sent_with_get(path: str, answer: type) -> Callable:
    """Route ``path``'s GET: a provider's callback whose fields are the query string."""
    def route(view: Callable) -> Callable:
        view = errors(400, 413, 503)(bp.response(200, answer)(view))
        return bp.get(path)(Blueprint.doc(parameters=QUERY_CALLBACK_PARAMETERS)(view))
    return route


@sent_with_get("/sip-webhook", ReceivedSchema)
def webhook_query():
    """Record a provider event sent with GET: its fields are the query string."""
    return record("webhook", *payload.callback_body(request))


def record(kind: str, body: dict, content_type: str) -> dict:
    """Record a webhook's or status callback's payload; the call state it carries moves its call."""
    reading, call_sid, transition = callbacks.understood(kind, body)
    note_outcome(provider=reading.provider)
    recorded = get_store().record_event(kind, body, content_type, call_sid, delivery_id(request),
                                        transition, callbacks.entry_fields(reading, call_sid))
    if call_sid is None and not recorded.duplicate:  # counted once it is in the stream
        metrics.UNATTRIBUTED.labels(reading.provider).inc()
    answer = received(kind, recorded)
    if kind == "status":
        answer.update(call_sid=call_sid, status=recorded.status, applied=recorded.applied)
    return answer


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
    return record("status", *payload.callback_body(request))


@sent_with_get("/sip-status", StatusReceivedSchema)
def status_query():
    """Record a status callback sent with GET: its fields are the query string."""
    return record("status", *payload.callback_body(request))


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
    note_outcome(event_id=recorded.event_id, duplicate=recorded.duplicate)
    if recorded.status is not None:
        note_outcome(call_status=recorded.status, applied=recorded.applied)
    if recorded.duplicate:
        metrics.DUPLICATES.labels(stream).inc()
        return {"received": True, "event_id": recorded.event_id, "duplicate": True}
    metrics.EVENTS.labels(stream).inc()
    if recorded.applied:
        metrics.TRANSITIONS.labels(recorded.status).inc()
    return {"received": True, "event_id": recorded.event_id}
