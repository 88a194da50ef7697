"""Calls shaped for the console's templates: masked numbers, durations, flags, timeline marks."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from ...calls.lifecycle import RANKS, TERMINAL
from ...redact import mask_phone, redact_mapping, redact_text
from .. import redaction
from .calls import CallSummary
from .flags import FLAG_TEXT, epoch_ms, flags, started_ms, status_group

# The SVG timeline's drawing box (its viewBox), in user units; it scales to the screen.
WIDTH, LEFT, RIGHT, LANES = 1000, 30, 30, 3


def clock(ms: int | None) -> str:
    """``2026-04-30 12:00:00`` (UTC) for a time in ms, or ``-``."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def span(seconds: float | None) -> str:
    """``4 s``, ``2 min 5 s``, ``1 h 3 min``, or ``-``."""
    if seconds is None or seconds < 0:
        return "-"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def duration(call: CallSummary, now_ms: int) -> str:
    """How long the call lasted: the provider's duration, else first seen to its end (or now)."""
    if call.state.get("duration"):
        return span(int(call.state["duration"]))
    started, status = started_ms(call), call.state.get("status")
    if started is None:
        return "-"
    if status in TERMINAL:
        return span((epoch_ms(call.state.get(f"{status}_at")) or started) / 1000 - started / 1000)
    if status_group(call) == "live":
        return span((now_ms - started) / 1000) + " so far"
    return "-"


def direction(context: dict | None) -> str:
    """``inbound``/``outbound`` as the prewarm said, else ``-``."""
    if not context or "outbound" not in context:
        return "-"
    return "outbound" if context["outbound"] else "inbound"


def number(context: dict | None, name: str) -> str:
    """A number of the context, masked as the logs mask it."""
    value = (context or {}).get(name)
    return mask_phone(str(value)) if value else "-"


def group_of(status: str | None) -> str:
    """The colour class of a status: ``ok``, ``failed``, ``live``, or ``""`` for none."""
    if not status:
        return ""
    if status in TERMINAL:
        return "ok" if status == "completed" else "failed"
    return "live"


def row(call: CallSummary, now_ms: int) -> dict:
    """One line of the calls list."""
    status = call.state.get("status")
    return {"call_sid": call.call_sid, "known": call.known,
            "provider": call.state.get("provider") or "-",
            "direction": direction(call.context), "from": number(call.context, "from_number"),
            "to": number(call.context, "to_number"), "status": status or status_group(call),
            "group": group_of(status) or status_group(call),
            "started": clock(started_ms(call)), "duration": duration(call, now_ms),
            "flags": [(flag, FLAG_TEXT[flag]) for flag in flags(call, now_ms)]}


def shown(value) -> str:
    """Any stored mapping as indented JSON with the app's secrets and numbers masked."""
    if isinstance(value, dict):
        value = redact_mapping(value)
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return redact_text(text, redaction.secrets())


def payload_of(fields: dict) -> dict:
    """A stream entry with its ``payload`` decoded (kept as text when it is not JSON)."""
    entry = dict(fields)
    try:
        entry["payload"] = json.loads(entry.get("payload", "null"))
    except ValueError:
        pass
    return entry


def marks(call: CallSummary) -> list[dict]:
    """Each moment of the call, in time order: prewarm, claim, every stream entry (or, for a
    call without references to its entries, each status's time from the status hash)."""
    found = []
    if call.context and epoch_ms(call.context.get("prewarmed_at")):
        found.append({"kind": "prewarm", "label": "prewarm",
                      "ms": epoch_ms(call.context["prewarmed_at"])})
    if call.claimed_at and epoch_ms(call.claimed_at):
        found.append({"kind": "claim", "label": "claim", "ms": epoch_ms(call.claimed_at)})
    found += [event_mark(*event) for event in call.events]
    if not call.refs:
        found += [{"kind": "status", "label": status, "group": group_of(status),
                   "ms": epoch_ms(call.state[f"{status}_at"])} for status in RANKS
                  if epoch_ms(call.state.get(f"{status}_at"))]
    found.sort(key=lambda mark: mark["ms"])
    return found


def event_mark(kind: str, entry_id: str, fields: dict) -> dict:
    """The timeline's mark of one stream entry."""
    payload = payload_of(fields)["payload"]
    payload = payload if isinstance(payload, dict) else {}
    return {"kind": kind, "entry_id": entry_id, "ms": int(entry_id.split("-")[0]),
            "label": fields.get("status") or payload.get("event") or payload.get("type") or kind,
            "applied": fields.get("applied"), "provider": fields.get("provider"),
            "group": group_of(fields.get("status")),
            "sip_code": payload.get("sip_code") or payload.get("SipResponseCode"),
            "reason": redact_text(str(payload["reason"])) if payload.get("reason") else None}


def placed(found: list[dict]) -> dict:
    """``found`` with an x position on the time axis and a label lane, plus the axis ends."""
    if not found:
        return {"marks": [], "start": "-", "end": "-", "width": WIDTH}
    first, last = found[0]["ms"], found[-1]["ms"]
    usable = WIDTH - LEFT - RIGHT
    for number, mark in enumerate(found):
        offset = (mark["ms"] - first) / (last - first) if last > first else 0.5
        mark.update(x=round(LEFT + offset * usable, 1), lane=number % LANES, time=clock(mark["ms"]),
                    at=f"+{(mark['ms'] - first) / 1000:.3f} s", number=number + 1)
    return {"marks": found, "start": clock(first), "end": clock(last), "width": WIDTH,
            "length": span((last - first) / 1000)}
