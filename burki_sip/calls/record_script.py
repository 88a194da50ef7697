"""``record.lua``'s inputs, by name: ``RecordScript``, the one place that lays them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from .lifecycle import NO_TRANSITION, TERMINAL_RANK, Transition, rank_of
from .lifetimes import Lifetimes
from .scripts import ScriptCall

# record.lua's first reply element when the backlog limit refused the write.
REFUSED = -1
# How many references to its stream entries a call keeps (Keys.call_events): the newest.
EVENT_REFS_KEPT = 1000


def _pairs(mapping: Mapping[str, str]) -> list[str]:
    return [text for pair in mapping.items() for text in pair]


@dataclass(frozen=True)
class RecordScript(ScriptCall):
    """One run of ``record.lua``: the keys it is given and its arguments, by name.

    A key left ``None`` is not passed, and the part of the script that needs it does not run.
    """

    SCRIPT: ClassVar[str] = "record"
    ROLES: ClassVar[tuple[str, ...]] = ("status", "context", "refs", "marker", "stream")
    ARGS: ClassVar[tuple[str, ...]] = (
        "roles", "kind", "now", "lifetimes.dedupe_ttl", "transition.status", "rank",
        "transition.sequence", "terminal_rank", "lifetimes.idle_ttl", "lifetimes.retention",
        "maxlen", "backlog_limit", "appended", "refs_kept", "max_age", "fact_count",
        "event_fact_count")
    terminal_rank: ClassVar[int] = TERMINAL_RANK
    refs_kept: ClassVar[int] = EVENT_REFS_KEPT

    kind: str
    now: str
    lifetimes: Lifetimes
    status_key: str | None = None
    context_key: str | None = None
    refs_key: str | None = None
    marker_key: str | None = None
    stream_key: str | None = None
    transition: Transition = NO_TRANSITION
    maxlen: int | None = None
    max_age: int | None = None
    backlog_limit: int | None = None
    appended: str | None = None
    entry: Mapping[str, str] = field(default_factory=dict)

    @property
    def roles(self) -> str:
        """Which keys are given, in their order: record.lua names them from this."""
        return " ".join(role for role in self.ROLES if getattr(self, f"{role}_key"))

    @property
    def rank(self) -> int | None:
        """The rank of the transition's status."""
        return rank_of(self.transition.status) if self.transition.status else None

    @property
    def fact_count(self) -> int:
        """How many fact name/value pairs follow the named arguments."""
        return len(self.transition.facts)

    @property
    def event_fact_count(self) -> int:
        """How many event fact name/value pairs follow the facts."""
        return len(self.transition.event_facts)

    def keys(self) -> list[str]:
        """The keys given, in ``ROLES`` order."""
        return [key for key in (getattr(self, f"{role}_key") for role in self.ROLES) if key]

    def args(self) -> list[Any]:
        """The named arguments, then the transition's facts and event facts, then the entry's
        fields."""
        return (super().args() + _pairs(self.transition.facts)
                + _pairs(self.transition.event_facts) + _pairs(self.entry))
