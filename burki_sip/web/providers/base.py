"""What every provider adapter returns (``Reading``) and the small readers they share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from marshmallow import ValidationError

from ..schemas import StatusSchema

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# A provider's facts are checked by StatusSchema's own fields: a long reason is cut to fit, any
# other fact it would refuse is left out, so a provider's odd value never turns its callback into
# a 400 (the whole payload is still in the stream entry).
CALLBACK_FIELDS = StatusSchema().fields
REASON_MAX = CALLBACK_FIELDS["reason"].validators[0].max


@dataclass(frozen=True)
class Reading:
    """What one payload says, in the service's terms.

    ``call_id`` is the provider's own id of the call (``None``: the payload names none), found at
    ``call_id_field``. ``facts`` are the callback in the bridge's names (``status`` canonical or
    ``hangup``, ``sip_code``, ``reason``, ``sequence``, ``duration``, ``timestamp``), absent
    ones left out. ``word`` is the provider's own status word, read at ``status_field``;
    ``stateless`` means the event is known but says nothing about the call's state.
    ``event_facts`` describe another event the payload reports (a ``<Dial>``'s dialled leg), as
    the call's ``Transition`` event facts.
    """

    provider: str
    call_id: str | None
    call_id_field: str
    facts: dict = field(default_factory=dict)
    status_field: str = "status"
    word: str | None = None
    stateless: bool = False
    event_facts: dict = field(default_factory=dict)

    @property
    def status(self) -> str | None:
        """The canonical status (or ``hangup``) this payload moves its call to, if any."""
        return self.facts.get("status")


def dig(body: Any, *path: str) -> Any:
    """``body[path[0]][path[1]]...``, or ``None`` as soon as a step is missing or not an object."""
    for name in path:
        if not isinstance(body, Mapping):
            return None
        body = body.get(name)
    return body


def mapping(value: Any) -> Mapping:
    """``value`` when it is an object, else an empty one (a forced adapter may get any shape)."""
    return value if isinstance(value, Mapping) else {}


def scalar_text(value: Any) -> str | None:
    """A non-empty string as it is (numbers as their digits); anything else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def lowered(value: Any) -> str | None:
    """``scalar_text`` in lower case: provider words are matched case-insensitively."""
    found = scalar_text(value)
    return found.lower() if found else None


def whole(value: Any) -> int | None:
    """A whole number given as an integer or a string of digits; anything else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def facts(status: str | None, **given: Any) -> dict:
    """A callback in the bridge's names, without the facts that are absent."""
    found = {name: value for name, value in given.items() if value is not None}
    if isinstance(found.get("reason"), str):
        found["reason"] = found["reason"][:REASON_MAX]
    for name in list(found):
        try:
            CALLBACK_FIELDS[name].deserialize(found[name])
        except ValidationError:
            del found[name]
    return found if status is None else {"status": status, **found}


def mapped(table: Mapping[str, str | None], word: str | None) -> tuple[str | None, bool]:
    """(canonical status, known) of a provider word in its table; unknown words give ``None``."""
    if word is None or word not in table:
        return None, False
    return table[word], True


def flat_reading(name: str, body: dict, call_id_field: str, status_field: str,
                 table: Mapping[str, str | None], **found: Any) -> Reading:
    """A payload naming its call and its status word at the top level, the word mapped by
    ``table`` (a known word mapped to ``None`` is a stateless event)."""
    word = lowered(body.get(status_field))
    status, known = mapped(table, word)
    return Reading(name, scalar_text(body.get(call_id_field)), call_id_field,
                   facts(status, **found), status_field, word, stateless=known and status is None)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A request header's value, or ``None`` when absent or empty."""
    return (headers.get(name) or "").strip() or None


def sip_code_of(value: Any) -> int | None:
    """A SIP response code (100-699) given as a number or digits; anything else ``None``."""
    code = whole(value)
    return code if code is not None and 100 <= code <= 699 else None
