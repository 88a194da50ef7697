"""The SIP routes the bridge and providers call: prewarm, webhook and status."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError

from . import payload
from .schemas import check_call_sid, load_prewarm
from .store import get_store

bp = Blueprint("sip", __name__)

# Flask's own JSON settings for a string (ASCII only), kept for the hot path's response.
_JSON_STRING = json.JSONEncoder()

# Where providers put the call identifier: the bridge's JSON, and Twilio-style forms.
CALL_SID_FIELDS = ("call_sid", "CallSid")


@bp.post("/sip-prewarm")
def prewarm():
    """Store the call's context for the media-stream handler, with its TTL."""
    context = load_prewarm(payload.json_object(request))
    get_store().save_context(context)
    return prewarmed(context["call_sid"])


def prewarmed(call_sid: str) -> Response:
    """The prewarm answer, byte for byte what returning the dict gives, without the generic path."""
    body = f'{{"call_sid":{_JSON_STRING.encode(call_sid)},"prewarmed":true}}\n'
    return current_app.response_class(body, mimetype="application/json")


@bp.post("/sip-webhook")
def webhook():
    """Record an inbound-call or provider event in the webhook stream."""
    return record("webhook")


@bp.post("/sip-status")
def status():
    """Record a status callback in the status stream."""
    return record("status")


def record(kind: str) -> dict:
    """Append the request body to the ``kind`` stream and answer with the entry id."""
    body = payload.json_or_form(request)
    event_id = get_store().record_event(kind, body, request.mimetype, call_sid_of(body))
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
