"""Which provider a payload comes from, and what it says: ``detect`` and ``read``.

Detection uses the body and headers alone, most specific shape first; the bridge's JSON and the
generic Twilio-style form, the formats the service understood first (docs/contract.md), are the
fallbacks. ``?provider=<name>`` forces an adapter where shapes are ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Mapping

from ..errors import ApiError
from ..schemas import TWILIO_STATUS_FIELDS
from . import jambonz, livekit, plivo, signalwire, telnyx, twilio, vonage
from .base import Reading

CALL_SID_FIELDS = ("call_sid", "CallSid")
BRIDGE_FIELDS = ("status", "sip_code", "reason", "timestamp", "sequence", "duration")


@dataclass(frozen=True)
class Adapter:
    """One payload format: its name, its detector and its reader.

    ``native``: a provider's own format, whose status words are mapped here and whose events
    move the call's status on either route. The bridge's formats are checked as before instead.
    """

    name: str
    detect: Callable[[dict, Mapping, bool], bool]
    read: Callable[[dict], Reading]
    native: bool = True


def read_unmapped(name: str, body: dict) -> Reading:
    """The bridge's JSON or a Twilio-style form under the bridge's names (which win over Twilio's).
    Status words pass unmapped (``StatusSchema`` and the lifecycle check them); the call id is
    kept as given, of any type (checked later)."""
    renamed = {**{TWILIO_STATUS_FIELDS[key]: value for key, value in body.items()
                  if key in TWILIO_STATUS_FIELDS}, **body}
    found = {field: renamed[field] for field in BRIDGE_FIELDS if field in renamed}
    field = next((each for each in CALL_SID_FIELDS if body.get(each) is not None), "call_sid")
    return Reading(name, body.get(field), field, found, "status", None)


# Most specific first: Telnyx TeXML before SignalWire's UUID forms before Twilio's forms.
ADAPTERS = (
    *(Adapter(module.NAME, module.detect, module.read)
      for module in (telnyx, signalwire, livekit, vonage, jambonz, plivo, twilio)),
    Adapter("bridge", lambda body, headers, form: not form, partial(read_unmapped, "bridge"),
            native=False),
    Adapter("form", lambda body, headers, form: form, partial(read_unmapped, "form"),
            native=False),
)
BY_NAME = {adapter.name: adapter for adapter in ADAPTERS}
NAMES = tuple(BY_NAME)
# Each provider's native authentication, in the order they are tried.
SCHEMES = tuple(module.SCHEME for module in (twilio, signalwire, telnyx, jambonz, vonage, plivo,
                                             livekit))


def detect(body: dict, headers: Mapping, form: bool, forced: str | None = None) -> Adapter:
    """The adapter of a payload: the forced one, else the first whose shape matches."""
    if forced is not None:
        adapter = BY_NAME.get(forced.strip().lower())
        if adapter is None:
            raise ApiError(f"unknown provider {forced!r}; accepted: {', '.join(NAMES)}",
                           fields={"provider": [f"accepted: {', '.join(NAMES)}"]})
        return adapter
    return next(adapter for adapter in ADAPTERS if adapter.detect(body, headers, form))


def read(body: dict, headers: Mapping, form: bool,
         forced: str | None = None) -> tuple[Adapter, Reading]:
    """The adapter of a payload and what it reads in it."""
    adapter = detect(body, headers, form, forced)
    return adapter, adapter.read(body)
