"""Which provider a payload comes from, and what it says: ``detect`` and ``read``.

Detection uses the body and headers alone, most specific shape first; the bridge's JSON and the
generic Twilio-style form are the fallbacks. ``?provider=<name>`` forces an adapter where shapes
are ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from ..errors import ApiError
from . import bridge, jambonz, livekit, plivo, signalwire, telnyx, twilio, vonage
from .base import Reading


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


def _native(module) -> Adapter:
    return Adapter(module.NAME, module.detect, module.read)


# Most specific first: Telnyx TeXML before SignalWire's UUID forms before Twilio's forms.
ADAPTERS = (
    *map(_native, (telnyx, signalwire, livekit, vonage, jambonz, plivo, twilio)),
    Adapter(bridge.BRIDGE, bridge.detect_bridge, bridge.read_bridge, native=False),
    Adapter(bridge.FORM, bridge.detect_form, bridge.read_form, native=False),
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
