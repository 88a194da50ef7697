"""An erasure's sweep through one event stream, a page at a time: ``sweep_stream`` (sweep.lua).

The entries are looked through inside Redis, so none of them crosses the network: a page of
``PAGE_ENTRIES`` costs Redis a few milliseconds, and the sweep stops at the entry that was the
stream's newest when it began (entries appended since are left to the end of the erasure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar, NamedTuple

from .drivers import Work, pipelined
from .numbers import NumberMatch
from .scripts import ScriptCall, Scripts

# Entries sweep.lua reads per run: each run holds Redis for about 2-5 ms (docs/privacy.md).
PAGE_ENTRIES = 500

Progress = Callable[[str, int, "int | None"], None]


class Found(NamedTuple):
    """An entry holding a number, and the ids of the call it names (``''``: none)."""

    entry_id: str
    call_sid: str
    provider_call_id: str

    def calls(self) -> set[str]:
        """The ids the entry names its call by."""
        return {self.call_sid, self.provider_call_id} - {""}


@dataclass(frozen=True)
class StreamPage(ScriptCall):
    """One run of ``sweep.lua``: a page of ``stream`` after ``after``, up to ``last``."""

    SCRIPT: ClassVar[str] = "sweep"
    KEYS: ClassVar[tuple[str, ...]] = ("stream",)
    ARGS: ClassVar[tuple[str, ...]] = ("after", "last", "count", "deleting", "number_count")

    stream: str
    after: str
    last: str
    match: NumberMatch
    calls: frozenset[str]
    delete: bool
    count: int = PAGE_ENTRIES

    @property
    def deleting(self) -> str:
        """``1`` when the calls' entries without a number are deleted, ``0`` when counted."""
        return "1" if self.delete else "0"

    @property
    def number_count(self) -> int:
        """How many arguments after the named ones are numbers (the calls' ids follow)."""
        return len(self.match.groups)

    def args(self) -> list:
        """The named arguments, then each number's forms (one argument, shortest first,
        space-separated), then the calls' ids."""
        return super().args() + [" ".join(group) for group in self.match.groups] + sorted(
            self.calls)


@dataclass
class Swept:
    """What a sweep of one stream saw: entries read, the calls' entries without a number
    (deleted unless counting), and the entries holding a number (left in place)."""

    read: int = 0
    members: int = 0
    found: list[Found] = field(default_factory=list)


def sweep_stream(scripts: Scripts, stream: str, match: NumberMatch, calls: set[str],
                 delete: bool, progress: Progress, stage: str) -> Work[Swept]:
    """Sweep ``stream`` up to its newest entry now; the calls of entries holding a number join
    ``calls`` as they are found, so their later entries are the calls' too."""
    length, newest = yield pipelined(lambda pipe: pipe.xlen(stream),
                                     lambda pipe: pipe.xrevrange(stream, count=1))
    swept, after = Swept(), "-"
    while newest and after:
        page = StreamPage(stream, after, newest[0][0], match, frozenset(calls), delete)
        after, read, members, found = yield from page.work(scripts)
        swept.read, swept.members = swept.read + read, swept.members + members
        for row in found:
            swept.found.append(Found(*row))
            calls.update(swept.found[-1].calls())
        progress(stage, swept.read, length)
    return swept
