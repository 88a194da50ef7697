"""An erasure's sweeps, a page at a time: through an event stream (``sweep_stream``, sweep.lua:
inside Redis, so no entry crosses the network; costs in docs/privacy.md) and through every key
under the prefix (``sweep_keys``, ``SCAN`` on every primary of a Cluster).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from .drivers import Work, pipelined
from .keys import Keys
from .numbers import NumberMatch
from .scripts import ScriptCall

# Entries sweep.lua reads per run: each run holds Redis for about 2-5 ms (docs/privacy.md).
PAGE_ENTRIES = 500
# SCAN's COUNT: keys looked at per round trip (each SCAN costs Redis well under a millisecond).
PAGE_KEYS = 1000
# The most elements of a list read to look for a number (a call's list of entries keeps 1,000).
LIST_READ = 1000

# How a key of each type is read to look for a number; streams are swept on their own.
READERS: dict[str, Callable[[Any, str], Any]] = {
    "string": lambda pipe, key: pipe.get(key),
    "hash": lambda pipe, key: pipe.hgetall(key),
    "list": lambda pipe, key: pipe.lrange(key, 0, LIST_READ - 1),
}

Progress = Callable[[str, int, "int | None"], None]


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

    # Arguments computed from the fields, named in ARGS as the fields are.
    deleting = property(lambda self: "1" if self.delete else "0")
    number_count = property(lambda self: len(self.match.groups))  # then come the calls' ids

    def args(self) -> list:
        """The named arguments, then each number's forms (one argument, shortest first,
        space-separated), then the calls' ids."""
        return super().args() + [" ".join(group) for group in self.match.groups] + sorted(
            self.calls)


def sweep_stream(stream: str, match: NumberMatch, calls: set[str], delete: bool,
                 progress: Progress, stage: str) -> Work[tuple[int, list[str]]]:
    """Sweep ``stream`` up to its newest entry now: how many of the calls' entries hold no number
    (deleted unless counting) and the ids of the entries holding one (left in place). The calls
    those entries name join ``calls`` as they are found, so their later entries are the calls'
    too."""
    length, newest = yield pipelined(lambda pipe: pipe.xlen(stream),
                                     lambda pipe: pipe.xrevrange(stream, count=1))
    after, read, members, held = "-", 0, 0, []
    while newest and after:
        page = StreamPage(stream, after, newest[0][0], match, frozenset(calls), delete)
        after, page_read, page_members, found = yield from page.work()
        read, members = read + page_read, members + page_members
        for entry_id, call_sid, provider_call_id in found:
            held.append(entry_id)
            calls.update({call_sid, provider_call_id} - {""})
        progress(stage, read, length)
    return members, held


def sweep_keys(nodes: list | None, keys: Keys, handle: Callable[[list[str]], Work],
               progress: Progress, stage: str) -> Work[None]:
    """Hand ``handle`` each SCAN page of the keys under the prefix, on every node (each primary
    of a Cluster: ``None`` for one server)."""
    scanned = 0
    for node in nodes or (None,):
        target, cursor = ({"target_nodes": node} if node is not None else {}), 0
        while True:
            cursor, page = yield lambda client, cursor=cursor: client.scan(
                cursor, match=keys.every(), count=PAGE_KEYS, **target)
            if node is not None:  # a Cluster client answers each node's cursor by its name
                cursor = cursor[node.name]
            if page:
                yield from handle(page)
            scanned += len(page)
            progress(stage, scanned, None)
            if not cursor:
                break


def keys_holding(page: list[str], match: NumberMatch) -> Work[list[str]]:
    """The keys of ``page`` whose name or value holds a number ``match`` looks for."""
    kinds = yield pipelined(*(lambda pipe, key=key: pipe.type(key) for key in page))
    readable = [(key, kind) for key, kind in zip(page, kinds) if kind in READERS]
    values = []
    if readable:
        values = yield pipelined(*(lambda pipe, key=key, kind=kind: READERS[kind](pipe, key)
                                   for key, kind in readable))
    return [key for key in page if match.found_in(key)] + [
        key for (key, _), value in zip(readable, values) if match.found_in(_text(value))]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{name}\n{text}" for name, text in value.items())
    if isinstance(value, list):
        return "\n".join(value)
    return value or ""
