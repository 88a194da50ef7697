"""What an operator hunts for in a call, from its summary and its events: flags and search."""

from __future__ import annotations

import re

from ...calls.clock import epoch_ms
from ...calls.lifecycle import RANKS, TERMINAL
from .calls import CallSummary

# A media stream claims the context within seconds of the prewarm; only later is it a problem.
CLAIM_GRACE_SECONDS = 30
FLAG_TEXT = {
    "unclaimed": "prewarmed, never claimed",
    "claimed_no_status": "claimed, no status",
    "no_terminal": "gone without a terminal status",
    "refused": "callbacks refused",
    "duplicates": "callbacks repeated",
}
# Filter words besides the statuses themselves.
STATUS_GROUPS = ("live", "ended", "none", "gone")


def started_ms(call: CallSummary) -> int | None:
    """When the call was first seen: its first event, its prewarm or its first status."""
    times = [epoch_ms((call.context or {}).get("prewarmed_at"))]
    times += [epoch_ms(call.state[f"{status}_at"]) for status in RANKS
              if f"{status}_at" in call.state]
    times += [int(call.events[0][1].split("-")[0])] if call.events else []
    times = [time for time in times if time is not None]
    return min(times) if times else None


def status_group(call: CallSummary) -> str:
    """``live``, ``ended``, ``none`` (stored, no status) or ``gone`` (nothing stored any more)."""
    status = call.state.get("status")
    if status:
        return "ended" if status in TERMINAL else "live"
    return "none" if call.context or call.claimed_at or call.refs else "gone"


def not_applied(call: CallSummary) -> tuple[int, int]:
    """Callbacks not applied, from the entries (``applied`` false): ``(refused, repeated)``.

    Repeated: the status the call already had; refused: any other (late, or after the end).
    """
    refused = repeated = 0
    current = None
    for _, _, fields in call.events:
        if fields.get("applied") == "true":
            current = fields.get("status")
        elif fields.get("applied") == "false":
            if fields.get("status") == current:
                repeated += 1
            else:
                refused += 1
    return refused, repeated


def flags(call: CallSummary, now_ms: int) -> list[str]:
    """The problems the call shows, as keys of ``FLAG_TEXT``."""
    found, status = [], call.state.get("status")
    started = started_ms(call)
    settled = started is not None and now_ms - started > CLAIM_GRACE_SECONDS * 1000
    late = status in TERMINAL or RANKS.get(status, -1) >= RANKS["in-progress"]
    if call.context and not call.claimed_at and (settled or late):
        found.append("unclaimed")
    if call.claimed_at and not status and settled:
        found.append("claimed_no_status")
    ended = any(fields.get("applied") == "true" and fields.get("status") in TERMINAL
                for _, _, fields in call.events)
    if status_group(call) == "gone" and call.events and not ended:
        found.append("no_terminal")
    refused, repeated = not_applied(call)
    found += ["refused"] * bool(refused) + ["duplicates"] * bool(repeated)
    return found


def matcher(query: str = "", status: str = ""):
    """A predicate on summaries: ``query`` is part of the call_sid or the end of a number's digits;
    ``status`` is a status word or one of ``STATUS_GROUPS``. Empty means any."""
    query, status = query.strip(), status.strip().lower()
    digits = re.sub(r"\D", "", query) if re.fullmatch(r"[\d +().-]+", query) else ""

    def matches(call: CallSummary) -> bool:
        if status and status not in (call.state.get("status"), status_group(call)):
            return False
        if not query or query in call.call_sid:
            return True
        numbers = [(call.context or {}).get(name) for name in ("from_number", "to_number")]
        return bool(digits) and any(re.sub(r"\D", "", str(number)).endswith(digits)
                                    for number in numbers if number)
    return matches
