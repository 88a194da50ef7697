"""Erasing calls, or a caller's numbers and every call they took part in: what to erase
(``Erasure``), what was (``Erased``), its record for ``GET /sip-erasures/<id>`` and its entry
for consumers (``tell``). ``erasure_run.Run`` does it, in the steps docs/privacy.md ("How it
works") lists: the number goes last, so a run cut short (Redis failed, the process stopped)
finds every call again when it is simply run again. Every pass is bounded (pages of entries or
keys), so Redis serves other clients between them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..jsontext import compact_json
from .clock import utc_now
from .drivers import Work, pipelined
from .events import ERASURE
from .keys import Keys
from .numbers import NumberMatch, e164
from .recording import RecordScript, entry_fields

# The most calls, or numbers, one erasure names (the numbers' forms are looked for in every
# entry, so each number adds to every page's work).
MAX_CALL_SIDS = 1000
MAX_NUMBERS = 20

RUNNING, FINISHED, FAILED, INTERRUPTED = "running", "finished", "failed", "interrupted"
# Seconds a record is kept after its latest change.
RECORD_TTL = 86400
# Seconds without a change after which a running erasure is taken for stopped (a deploy, a
# crash; running it again finishes it): its record is written after every page of work
# (milliseconds each), at most once a second.
STALE_SECONDS = 30


@dataclass(frozen=True)
class Erasure:
    """What to erase: calls by call_sid, and numbers (E.164) with every call they took part in.

    Raises:
        ValueError: nothing named, too many, or a number that is not E.164.
    """

    call_sids: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    dry_run: bool = False
    request_id: str | None = None

    def __post_init__(self) -> None:
        if not (self.call_sids or self.numbers):
            raise ValueError("name at least one call_sid or number to erase")
        if len(self.call_sids) > MAX_CALL_SIDS or len(self.numbers) > MAX_NUMBERS:
            raise ValueError(f"at most {MAX_CALL_SIDS} call_sids and {MAX_NUMBERS} numbers "
                             "per erasure")
        if not all(self.call_sids):
            raise ValueError("a call_sid is empty")
        object.__setattr__(self, "numbers", tuple(e164(number) for number in self.numbers))


@dataclass
class Erased:
    """What an erasure removed so far (a dry run: would remove): the calls, keys, and entries
    by stream; ``event_id`` of its ``erasure`` entry and ``finished`` once it is complete."""

    calls: set[str] = field(default_factory=set)
    keys: int = 0
    entries: dict[str, int] = field(default_factory=dict)
    event_id: str | None = None
    finished: bool = False

    def count(self, stream: str, removed: int) -> None:
        """Add ``removed`` entries of ``stream``."""
        self.entries[stream] = self.entries.get(stream, 0) + removed


def record_fields(erasure: Erasure, erased: Erased, state: str, error: str = "") -> dict:
    """The record's fields for ``erased`` so far, in ``state``: counts and times, no number."""
    return {"state": state, "dry_run": "true" if erasure.dry_run else "false",
            "calls": len(erased.calls), "keys": erased.keys,
            "entries": compact_json(erased.entries), "event_id": erased.event_id or "",
            "error": error, "updated_at": utc_now()}


def save_record(keys: Keys, erasure_id: str, fields: dict, created: bool = False) -> Work[None]:
    """Write an erasure's record (``created``: with its start time), kept ``RECORD_TTL``."""
    key = keys.erasure(erasure_id)
    start = {"started_at": fields["updated_at"]} if created else {}
    yield pipelined(lambda pipe: pipe.hset(key, mapping={**fields, **start}),
                    lambda pipe: pipe.expire(key, RECORD_TTL))


def tell(store: Any, erasure: Erasure, erased: Erased, match: NumberMatch) -> Work[None]:
    """The ``erasure`` entry in the status stream (docs/events.md), appended and trimmed as every
    entry is, by record.lua; a call whose id holds a number is counted, not named."""
    listed = sorted(call for call in erased.calls if not match.found_in(call))
    payload = {"call_sids": listed, "withheld_call_sids": len(erased.calls) - len(listed),
               "numbers": len(erasure.numbers)}
    entry = entry_fields(payload, "application/json", None, None,
                         {"type": ERASURE, "request_id": erasure.request_id})
    reply = yield from RecordScript(
        "status", entry["received_at"], store.lifetimes, stream_key=store.keys.events("status"),
        maxlen=store.events_maxlen, max_age=store.events_retention, entry=entry).work()
    erased.event_id = reply[3]


def load_record(keys: Keys, erasure_id: str) -> Work[dict | None]:
    """An erasure's record as the API answers it (a running one not written lately is
    ``interrupted``), or ``None`` when unknown or expired."""
    found: dict[str, Any] = yield lambda client: client.hgetall(keys.erasure(erasure_id))
    if not found:
        return None
    state, updated = found["state"], datetime.fromisoformat(found["updated_at"])
    if state == RUNNING and (datetime.now(timezone.utc) - updated).total_seconds() \
            > STALE_SECONDS:
        state = INTERRUPTED
    return {"id": erasure_id, "state": state, "dry_run": found["dry_run"] == "true",
            "calls": int(found["calls"]), "keys": int(found["keys"]),
            "entries": json.loads(found["entries"]), "event_id": found["event_id"] or None,
            "error": found["error"] or None, "started_at": found.get("started_at"),
            "updated_at": found["updated_at"]}
