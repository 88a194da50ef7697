"""What a webhook or status payload means for the store: its call, its transition, its entry fields.

The call a payload is recorded under (its lifecycle key) is, in this order: the ``call_sid``
query parameter of the callback URL (the bridge can put its own id there when it asks a provider
to call back), a top-level ``call_sid`` the bridge added to a provider's payload, else the
provider's own call id. The provider's id is kept as ``provider_call_id`` either way.
"""

from __future__ import annotations

from flask import g, request
from marshmallow import ValidationError

from ..calls.lifecycle import (ACCEPTED_WORDS, HANGUP, hangup_after, status_from_sip_code,
                               status_from_word)
from ..calls.store import Transition
from .errors import ApiError
from .payload import FORM_TYPES
from .providers import registry
from .providers.base import Reading
from .schemas import StatusSchema, check_call_sid
from .telemetry import note_call_sid

status_schema = StatusSchema()

QUERY_CALL_SID = "call_sid"
QUERY_PROVIDER = "provider"
INBOUND_WORDS = frozenset({"inbound_call", "call.initiated", "invite"})
INBOUND_WORD_FIELDS = ("event", "type", "event_type", "method", "sip_method")
INBOUND_PAIRS = (("from", "to"), ("From", "To"), ("from_number", "to_number"))
MISSING = "Missing data for required field."

def lifecycle_source(adapter: registry.Adapter, reading: Reading,
                     body: dict) -> tuple[object, str]:
    """(value, field) of the call the payload is recorded under; the value is unchecked."""
    if request.args.get(QUERY_CALL_SID) is not None:
        return request.args[QUERY_CALL_SID], QUERY_CALL_SID
    if adapter.native and isinstance(body.get("call_sid"), str) and body["call_sid"]:
        return body["call_sid"], "call_sid"
    return reading.call_id, reading.call_id_field


def call_sid_of(adapter: registry.Adapter, reading: Reading, body: dict) -> str | None:
    """The call a webhook is recorded under, checked like a prewarm's call_sid; ``None`` when
    the payload names none."""
    value, field = lifecycle_source(adapter, reading, body)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError({field: ["call_sid must be a string"]})
    try:
        check_call_sid(str(value))
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    return str(value)


def looks_inbound(body: dict) -> bool:
    """An INVITE, an ``inbound_call``/``call.initiated`` event, or a from/to pair."""
    for name in INBOUND_WORD_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and value.strip().lower() in INBOUND_WORDS:
            return True
    return any(isinstance(body.get(a), str) and isinstance(body.get(b), str)
               for a, b in INBOUND_PAIRS)


def webhook_transition(adapter: registry.Adapter, reading: Reading, call_sid: str | None,
                       body: dict) -> Transition | None:
    """A provider event's state moves its call; else an inbound call opens it at ``initiated``."""
    if call_sid is None:
        return None
    if adapter.native and reading.status:
        return transition_of(status_schema.load({**reading.facts, "call_sid": call_sid}))
    if adapter.native and (reading.word or reading.stateless):
        return None  # a provider's event that says nothing of the call's state
    return Transition("initiated") if looks_inbound(body) else None


def status_callback(adapter: registry.Adapter, reading: Reading, body: dict) -> dict:
    """The validated callback of ``/sip-status``; a 400 names the provider and what is missing."""
    value, field = lifecycle_source(adapter, reading, body)
    if adapter.native:
        if value is None:
            raise ApiError(f"{reading.provider} callback without {field}: it names no call",
                           fields={field: [MISSING]})
        if reading.status is None and not reading.stateless:
            found = "missing" if reading.word is None else f"{reading.word!r} is not a status " \
                "this service knows (docs/providers.md)"
            raise ApiError(f"{reading.provider} callback has no call status: "
                           f"{reading.status_field} {found}",
                           fields={reading.status_field: [MISSING if reading.word is None
                                                          else "unknown status"]})
    facts = {} if reading.stateless else reading.facts
    return status_schema.load({**facts, "call_sid": value})


def transition_of(callback: dict) -> Transition:
    """The status a callback moves its call to: from its status word, else its SIP code."""
    word, code = callback.get("status"), callback.get("sip_code")
    if word:
        status = status_from_word(word)
        if status is None:
            accepted = ", ".join(ACCEPTED_WORDS)
            raise ApiError(f"unknown status {word!r}; accepted: {accepted}",
                           fields={"status": [f"accepted: {accepted}"]})
        if status == HANGUP:
            status = hangup_after(code)
    elif code is not None:
        status = status_from_sip_code(code)
        if status is None:
            raise ApiError(f"sip_code {code} does not tell a call status",
                           fields={"sip_code": ["not a known provisional or final response"]})
    else:
        raise ApiError("status required: send a status word or a sip_code",
                       fields={"status": [MISSING]})
    return Transition(status, callback.get("sequence"), sip_code=code,
                      reason=callback.get("reason"), duration=callback.get("duration"))


def understood(kind: str, body: dict) -> tuple[Reading, str | None, Transition | None]:
    """What a webhook's or status callback's payload says: what its provider's adapter reads,
    its call (noted for the access line as soon as it is known, so that a 400 of its state still
    names it) and the transition it carries, with the provider that sent it and the event facts
    the payload carries (a ``<Dial>``'s dialled leg) as facts of the call. A GET's fields are
    URL-encoded, as a form's; ``?provider=`` forces an adapter."""
    form = request.method == "GET" or request.mimetype in FORM_TYPES
    adapter, reading = registry.read(body, request.headers, form, request.args.get(QUERY_PROVIDER))
    if kind == "webhook":
        call_sid = call_sid_of(adapter, reading, body)
        note_call_sid(call_sid)
        transition = webhook_transition(adapter, reading, call_sid, body)
    else:
        callback = status_callback(adapter, reading, body)
        call_sid = callback["call_sid"]
        note_call_sid(call_sid)
        transition = None if reading.stateless else transition_of(callback)
    return reading, call_sid, transition and transition.with_facts(reading.event_facts,
                                                                   provider=reading.provider)


def entry_fields(reading: Reading, call_sid: str | None) -> dict:
    """The stream entry's fields besides the body: request id, provider, its call id, and
    ``unattributed`` when no call could be identified (the entry schema of docs/events.md)."""
    return {"request_id": g.get("request_id"), "provider": reading.provider,
            "provider_call_id": None if reading.call_id is None else str(reading.call_id),
            "unattributed": None if call_sid else "true"}
