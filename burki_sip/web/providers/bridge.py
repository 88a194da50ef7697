"""The formats the service understood first: the bridge's JSON and a generic Twilio-style form.

Both name the call ``call_sid`` (or Twilio's ``CallSid``) and the callback's fields by the
bridge's names or Twilio's (``schemas.TWILIO_STATUS_FIELDS``); the bridge's names win. Their status
words are checked by ``StatusSchema`` and ``lifecycle.status_from_word`` exactly as before, so
they are passed on unmapped. A webhook in these formats moves no status, except that an inbound
call opens it (``callbacks.looks_inbound``). Source: the contract, docs/contract.md.
"""

from __future__ import annotations

from ..schemas import TWILIO_STATUS_FIELDS
from .base import Reading

BRIDGE = "bridge"
FORM = "form"
CALL_SID_FIELDS = ("call_sid", "CallSid")


def with_bridge_names(body: dict) -> dict:
    """A Twilio-style body renamed to the bridge's field names (the bridge's names win)."""
    renamed = {TWILIO_STATUS_FIELDS[name]: value for name, value in body.items()
               if name in TWILIO_STATUS_FIELDS}
    return {**renamed, **{name: value for name, value in body.items()
                          if name not in TWILIO_STATUS_FIELDS}}


def read_as(name: str, body: dict) -> Reading:
    """The callback under the bridge's names; the call id as given, of any type (checked later)."""
    renamed = with_bridge_names(body)
    found = {field: renamed[field] for field in
             ("status", "sip_code", "reason", "timestamp", "sequence", "duration")
             if field in renamed}
    field = next((each for each in CALL_SID_FIELDS if body.get(each) is not None), "call_sid")
    return Reading(name, body.get(field), field, found, "status", None)


def detect_bridge(body: dict, headers, form: bool) -> bool:
    """Any JSON object: the bridge's format is the fallback for JSON."""
    return not form


def read_bridge(body: dict) -> Reading:
    """What the bridge's JSON says."""
    return read_as(BRIDGE, body)


def detect_form(body: dict, headers, form: bool) -> bool:
    """Any form: the generic Twilio-style form is the fallback for forms."""
    return form


def read_form(body: dict) -> Reading:
    """What a generic Twilio-style form says."""
    return read_as(FORM, body)
