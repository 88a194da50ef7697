"""What ``record.lua`` takes and gives: ``Transition``, ``Recorded`` and its KEYS/ARGV."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from .index import NO_BOOKKEEPING
from .lifecycle import TERMINAL_RANK, rank_of

RECORD_LUA = files(__package__).joinpath("record.lua").read_text()

# record.lua's first reply element when the backlog limit refused the write.
REFUSED = -1

# record.lua's ARGV, 1-based as in its header: 1-11 the lifecycle, then these.
ARGV_STREAM = 12  # 12 stream MAXLEN, 13 backlog limit
ARGV_BOOKKEEPING = 14  # 14-17 the console's bookkeeping: ``local C = 14`` in record.lua
ARGV_ENTRY = ARGV_BOOKKEEPING + len(NO_BOOKKEEPING)  # 18.. entry field/value pairs
CALL_KEYS = 5  # KEYS 1-5; the 6th is the console's index


@dataclass(frozen=True)
class Transition:
    """What a callback says about a call: a status (canonical or ``hangup``) and its facts."""

    status: str
    sequence: int | None = None
    sip_code: int | None = None
    reason: str | None = None
    duration: int | None = None


@dataclass(frozen=True)
class Recorded:
    """The outcome of ``record_event``."""

    event_id: str | None
    duplicate: bool = False
    applied: bool = False
    status: str | None = None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def call_keys(keys, kind: str, call_sid: str | None, delivery_id: str | None) -> list[str]:
    """Status, context, (unused) and duplicate-marker keys, all in the call's slot."""
    marker = keys.delivery(kind, delivery_id, call_sid) if delivery_id else None
    if call_sid:
        status = keys.status(call_sid)
        call = [status, keys.context(call_sid), status]
        return call + [marker or call[0]]
    return [marker] * 4 if marker else []


def pad(keys: list[str]) -> list[str]:
    """KEYS 1-5, a missing one a copy of the first given (same hash slot)."""
    return keys if len(keys) == CALL_KEYS else [keys[0]] * (CALL_KEYS - len(keys)) + keys


def lifecycle_args(lifetimes, transition: Transition | None, delivery_id: str | None,
                   now: str) -> list:
    """ARGV 1-11: the duplicate TTL, the transition and the lifetimes."""
    t = transition or Transition("")
    return [lifetimes.dedupe_ttl if delivery_id else "", t.status,
            rank_of(t.status) if t.status else "", _text(t.sequence), now, lifetimes.idle_ttl,
            lifetimes.retention, TERMINAL_RANK, _text(t.sip_code), _text(t.reason),
            _text(t.duration)]


def no_lifecycle(now: str) -> list:
    """ARGV 1-11 of a script on the stream alone: no duplicate check, no status."""
    return ["", "", "", "", now, "", "", "", "", "", ""]


def stream_args(maxlen: int, limit: int | None, append: bool, admit: bool) -> list:
    """ARGV 12 and 13: the MAXLEN of an append, the backlog limit of a check."""
    return [maxlen if append else "", limit if admit and limit else ""]


def record_args(lifecycle: list, stream: list, bookkeeping: list, entry: dict | None) -> list:
    """All of record.lua's ARGV, in its order; the entry's fields and values come last."""
    args = lifecycle + stream + bookkeeping
    assert len(args) == ARGV_ENTRY - 1, "record.lua's ARGV offsets"
    for name, value in (entry or {}).items():
        args += [name, value]
    return args
