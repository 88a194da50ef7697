"""What ``GET /sip-erasures/<id>`` reads: one erasure's progress in a hash (``Keys.erasure``).

Counts and times only, never a number. The process running the erasure writes it as it goes;
one that stopped writing it ``STALE_SECONDS`` ago has stopped (a deploy, a crash): the erasure
is then ``interrupted``, and running it again finishes it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ..jsontext import compact_json
from .clock import utc_now
from .drivers import Work, pipelined
from .erasure import Erased, Erasure
from .keys import Keys

RUNNING, FINISHED, FAILED, INTERRUPTED = "running", "finished", "failed", "interrupted"
# Seconds a record is kept after its latest change.
RECORD_TTL = 86400
# Seconds without a change after which a running erasure is taken for stopped; it is written
# after every page of work (milliseconds each), at most once a second.
STALE_SECONDS = 30


def record_fields(erasure: Erasure, erased: Erased, state: str, error: str = "") -> dict:
    """The hash's fields for ``erased`` so far, in ``state``."""
    return {"state": state, "dry_run": "true" if erasure.dry_run else "false",
            "calls": len(erased.calls), "keys": erased.keys,
            "entries": compact_json(erased.entries), "event_id": erased.event_id or "",
            "error": error, "updated_at": utc_now()}


def save(keys: Keys, erasure_id: str, fields: dict, created: bool = False) -> Work[None]:
    """Write an erasure's record (``created``: with its start time), kept ``RECORD_TTL``."""
    key = keys.erasure(erasure_id)
    start = {"started_at": fields["updated_at"]} if created else {}
    yield pipelined(lambda pipe: pipe.hset(key, mapping={**fields, **start}),
                    lambda pipe: pipe.expire(key, RECORD_TTL))


def load(keys: Keys, erasure_id: str) -> Work[dict | None]:
    """An erasure's record as the API answers it, or ``None`` when unknown or expired."""
    found = yield lambda client: client.hgetall(keys.erasure(erasure_id))
    return answer(erasure_id, found) if found else None


def answer(erasure_id: str, found: dict[str, Any]) -> dict:
    """The record read back, typed; a running one not written lately is ``interrupted``."""
    state = found["state"]
    updated = datetime.fromisoformat(found["updated_at"])
    if state == RUNNING and (datetime.now(timezone.utc) - updated).total_seconds() \
            > STALE_SECONDS:
        state = INTERRUPTED
    return {"id": erasure_id, "state": state, "dry_run": found["dry_run"] == "true",
            "calls": int(found["calls"]), "keys": int(found["keys"]),
            "entries": json.loads(found["entries"]), "event_id": found["event_id"] or None,
            "error": found["error"] or None, "started_at": found.get("started_at"),
            "updated_at": found["updated_at"]}
