"""The call status vocabulary (ranks, provider words, SIP codes), ``Transition``, and a call's
status hash as the API and the CLI show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .claims import OWNER_FIELD, TOKEN_FIELD, WAITED_FIELD
from .clock import epoch_ms

# Ranked; a callback moves a call forward only. Every terminal status shares the top rank.
TERMINAL_RANK = 5
RANKS = {"queued": 0, "initiated": 1, "ringing": 2, "early-media": 3, "in-progress": 4,
         **dict.fromkeys(("completed", "busy", "no-answer", "canceled", "failed"), TERMINAL_RANK)}
TERMINAL = frozenset(status for status, rank in RANKS.items() if rank == TERMINAL_RANK)

# "hangup" is completed after in-progress and canceled before it: only Redis knows which, so the
# update script resolves it (see record.lua), unless the callback itself says (``hangup_after``).
HANGUP = "hangup"

ALIASES = {"answered": "in-progress", "in_progress": "in-progress", "inprogress": "in-progress",
           "early_media": "early-media", "no_answer": "no-answer", "noanswer": "no-answer",
           "cancelled": "canceled", "trying": "initiated", "hangup": HANGUP, "ended": HANGUP}

ACCEPTED_WORDS = tuple(RANKS) + tuple(ALIASES)

SIP_CODES = {100: "initiated", 180: "ringing", 181: "ringing", 182: "ringing",
             183: "early-media", 200: "in-progress", 486: "busy", 600: "busy",
             408: "no-answer", 480: "no-answer", 487: "canceled"}

# How the call's latest <Dial> ended: event facts of the call that dialled, shown with the call.
DIAL_FACTS = ("dial_status", "dial_sip_code", "dial_duration", "dial_call_sid")

# Status hash fields the lifecycle and the claim own: no transition's fact may take their names.
OWN_FIELDS = frozenset({"status", "rank", "sequence", "updated_at", TOKEN_FIELD, OWNER_FIELD,
                        WAITED_FIELD})


def status_from_word(word: str) -> str | None:
    """The canonical status (or ``HANGUP``) a provider's word means; ``None`` if unknown."""
    normalised = word.strip().lower()
    return normalised if normalised in RANKS else ALIASES.get(normalised)


def status_from_sip_code(code: int) -> str | None:
    """The status a SIP response code means: listed codes, any 2xx, any other final 3xx-6xx."""
    if code in SIP_CODES:
        return SIP_CODES[code]
    if 200 <= code < 300:
        return "in-progress"
    return "failed" if 300 <= code < 700 else None


def hangup_after(code: int | None) -> str:
    """A hangup by its own SIP code: ``completed`` after a 2xx (it says itself the call was
    answered, whatever events went missing), else ``HANGUP``, left to the call's history."""
    return "completed" if code is not None and 200 <= code < 300 else HANGUP


def rank_of(status: str) -> int:
    """The rank of a canonical status or of ``HANGUP`` (which always ends the call)."""
    return TERMINAL_RANK if status == HANGUP else RANKS[status]


def status_view(call_sid: str, state: dict, ttl: int | None = None) -> dict:
    """A call's status hash as the JSON the API and the CLI show (never the claim's token)."""
    view = {"call_sid": call_sid, "status": state.get("status"),
            "terminal": state.get("status") in TERMINAL, "timeline": timeline(state)}
    for name in ("sip_code", "reason", "sequence", "duration", "updated_at", OWNER_FIELD,
                 *DIAL_FACTS):
        if name in state:
            view[name] = state[name]
    if WAITED_FIELD in state:
        view[WAITED_FIELD] = int(state[WAITED_FIELD])
    if handoff(state):
        view["handoff"] = handoff(state)
    if ttl is not None:
        view["ttl"] = ttl
    return view


def timeline(state: dict) -> dict[str, str]:
    """When each status was first reached, in rank order, with the latest claim and release
    placed among them by their time."""
    events = [(status, state[f"{status}_at"]) for status in RANKS if f"{status}_at" in state]
    for event in ("claimed", "released"):
        at = state.get(f"{event}_at")
        if at:
            index = next((i for i, (_, when) in enumerate(events) if when > at), len(events))
            events.insert(index, (event, at))
    return dict(events)


def handoff(state: dict) -> str | None:
    """How the latest claim met its context: ``context arrived N ms after the stream asked`` (it
    waited) or ``ready N ms before the stream asked`` (prewarm to claim, two machines' clocks);
    ``None`` for a claim made without these facts (an older process)."""
    waited = state.get(WAITED_FIELD)
    if waited is None:
        return None
    if int(waited) > 0:
        return f"context arrived {int(waited)} ms after the stream asked"
    prewarmed, claimed = epoch_ms(state.get("prewarmed_at")), epoch_ms(state.get("claimed_at"))
    if prewarmed is None or claimed is None:
        return None
    return f"ready {max(claimed - prewarmed, 0)} ms before the stream asked"


@dataclass(frozen=True, init=False)
class Transition:
    """What a callback says about a call: a status (canonical or ``HANGUP``; ``''``: none), the
    sequence that orders callbacks of equal rank, facts and ``event_facts`` (name -> text;
    ``None`` and empty values left out; how record.lua writes each: docs/lifecycle.md, "Rules"):
    ``Transition("completed", sip_code=200, reason="bye")``."""

    status: str
    sequence: int | None
    facts: Mapping[str, str]
    event_facts: Mapping[str, str]

    def __init__(self, status: str, sequence: int | None = None, *,
                 event_facts: Mapping[str, Any] | None = None, **facts: Any) -> None:
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "sequence", sequence)
        object.__setattr__(self, "facts", _checked(facts))
        object.__setattr__(self, "event_facts", _checked(event_facts or {}))

    def with_facts(self, event_facts: Mapping[str, Any] | None = None,
                   **facts: Any) -> "Transition":
        """The same transition with more facts and event facts (a later one of a name wins)."""
        return Transition(self.status, self.sequence, **{**self.facts, **facts},
                          event_facts={**self.event_facts, **(event_facts or {})})


def _checked(facts: Mapping[str, Any]) -> dict[str, str]:
    kept = {name: str(value) for name, value in facts.items() if value not in (None, "")}
    for name in kept:
        if name in OWN_FIELDS or name.endswith("_at"):
            raise ValueError(f"{name!r} is a field of the lifecycle, not a fact")
    return kept


NO_TRANSITION = Transition("")
