"""The SIP routes the bridge and providers call: prewarm, webhook and status, and their reads."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, g, request
from marshmallow import ValidationError

from ..calls.lifecycle import ACCEPTED_WORDS, status_from_sip_code, status_from_word, status_view
from ..calls.store import Recorded, Transition
from . import metrics, payload
from .apidoc import JSON_OR_FORM, doc
from .errors import ApiError
from .extension import get_store
from .openapi_parts import DELIVERY_PARAMETERS, PROVIDER_ERRORS
from .responses import (CallStatusSchema, ContextSchema, PrewarmedSchema, ReceivedSchema,
                        StatusReceivedSchema)
from .schemas import (TWILIO_STATUS_FIELDS, PrewarmSchema, StatusSchema, TwilioStatusSchema,
                      WebhookSchema, check_call_sid)
from .telemetry import note_call_sid, note_outcome

bp = Blueprint("sip", __name__)

prewarm_schema = PrewarmSchema()
status_schema = StatusSchema()

# Flask's own JSON settings for a string (ASCII only), kept for the hot path's response.
_JSON_STRING = json.JSONEncoder()

# Where providers put the call identifier: the bridge's JSON, and Twilio-style forms.
CALL_SID_FIELDS = ("call_sid", "CallSid")
INBOUND_WORDS = frozenset({"inbound_call", "call.initiated", "invite"})
INBOUND_WORD_FIELDS = ("event", "type", "event_type", "method", "sip_method")
INBOUND_PAIRS = (("from", "to"), ("From", "To"), ("from_number", "to_number"))
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
     parameters=DELIVERY_PARAMETERS)
def webhook():
    """Record an inbound-call or provider event; an inbound call also opens the call's status."""
    body = payload.json_or_form(request)
    call_sid = call_sid_of(body)
    note_call_sid(call_sid)
    transition = Transition("initiated") if call_sid and looks_inbound(body) else None
    recorded = get_store().record_event("webhook", body, request.mimetype, call_sid,
                                        delivery_id(), transition, entry_fields())
    return received("webhook", recorded)


@bp.post("/sip-status")
@doc({200: StatusReceivedSchema}, body={"anyOf": [StatusSchema, TwilioStatusSchema]},
     media=JSON_OR_FORM, errors=PROVIDER_ERRORS, parameters=DELIVERY_PARAMETERS)
def status():
    """Record a status callback and fold it into the call's lifecycle."""
    body = payload.json_or_form(request)
    callback = status_schema.load(with_bridge_names(body))
    note_call_sid(callback["call_sid"])
    recorded = get_store().record_event("status", body, request.mimetype, callback["call_sid"],
                                        delivery_id(), transition_of(callback), entry_fields())
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


def checked_path_call_sid(call_sid: str) -> None:
    """A call_sid taken from the URL follows the same rule as one in a body."""
    try:
        check_call_sid(call_sid)
    except ValidationError as exc:
        raise ValidationError({"call_sid": exc.messages}) from exc


def looks_inbound(body: dict) -> bool:
    """An INVITE, an ``inbound_call``/``call.initiated`` event, or a from/to pair."""
    for name in INBOUND_WORD_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and value.strip().lower() in INBOUND_WORDS:
            return True
    return any(isinstance(body.get(a), str) and isinstance(body.get(b), str)
               for a, b in INBOUND_PAIRS)


def with_bridge_names(body: dict) -> dict:
    """A Twilio-style body renamed to the bridge's field names (the bridge's names win)."""
    renamed = {TWILIO_STATUS_FIELDS[name]: value for name, value in body.items()
               if name in TWILIO_STATUS_FIELDS}
    return {**renamed, **{name: value for name, value in body.items()
                          if name not in TWILIO_STATUS_FIELDS}}


def transition_of(callback: dict) -> Transition:
    """The status a callback moves its call to: from its status word, else its SIP code."""
    word, code = callback.get("status"), callback.get("sip_code")
    if word:
        status = status_from_word(word)
        if status is None:
            accepted = ", ".join(ACCEPTED_WORDS)
            raise ApiError(f"unknown status {word!r}; accepted: {accepted}",
                           fields={"status": [f"accepted: {accepted}"]})
    elif code is not None:
        status = status_from_sip_code(code)
        if status is None:
            raise ApiError(f"sip_code {code} does not tell a call status",
                           fields={"sip_code": ["not a known provisional or final response"]})
    else:
        raise ApiError("status required: send a status word or a sip_code",
                       fields={"status": ["Missing data for required field."]})
    return Transition(status, callback.get("sequence"), code, callback.get("reason"),
                      callback.get("duration"))


def entry_fields() -> dict:
    """What the stream entry keeps of the request besides its body: its request id."""
    return {"request_id": g.get("request_id")}


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
