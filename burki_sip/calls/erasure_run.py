"""One erasure's run as driver work: ``Run`` (its steps are in erasure.py's docstring).

Every write is a script's run or a ``drivers.written`` operation, as the store's other writes
are, so replicas acknowledge it when ``REDIS_ACK_REPLICAS`` asks.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from .connection import is_cluster
from .drivers import Work, pipelined, written
from .erasure import Erased, Erasure, tell
from .keys import EVENT_KINDS
from .numbers import NumberMatch
from .reads import EventRef, load_events
from .sweeps import Progress, keys_holding, sweep_keys, sweep_stream

# Ids per XDEL, keys per pipeline, calls per read of their lists: bounded commands.
BATCH = 500


def _batches(items: Iterable) -> Iterator[tuple[int, list]]:
    """Each batch of ``items``, with how many are done once it is."""
    items = list(items)
    for start in range(0, len(items), BATCH):
        yield min(start + BATCH, len(items)), items[start:start + BATCH]


class Run:
    """One erasure's run on ``store``; ``work()`` is the driver work, tallied in ``erased``."""

    def __init__(self, store: Any, erasure: Erasure, erased: Erased, progress: Progress) -> None:
        self.store, self.keys, self.erasure = store, store.keys, erasure
        self.erased, self.progress, self.dry_run = erased, progress, erasure.dry_run
        self.match = NumberMatch.of(erasure.numbers)
        self.nodes = store.client.get_primaries() if is_cluster(store.client) else None
        self.streams = [key for kind in EVENT_KINDS
                        for key in (store.keys.events(kind), store.keys.dead_letters(kind))]
        self.held_keys: set[str] = set()
        self.held_entries: dict[str, list[str]] = {}
        erased.calls.update(erasure.call_sids)

    def work(self) -> Work[Erased]:
        """The erasure, step by step."""
        if self.erasure.numbers:
            yield from self.find()
        yield from self.erase_unheld()
        if not self.dry_run:  # before the last step: a run cut short after it has told all
            yield from tell(self.store, self.erasure, self.erased, self.match)
        yield from self.erase_held()
        self.erased.finished = True
        return self.erased

    def find(self) -> Work[None]:
        """Which calls the numbers took part in; nothing is changed."""
        yield from sweep_keys(self.nodes, self.keys, self._find_keys, self.progress, "find keys")
        for stream in self.streams:
            yield from sweep_stream(stream, self.match, self.erased.calls, False, self.progress,
                                    f"find {stream}")

    def _find_keys(self, page: list[str]) -> Work[None]:
        held = yield from keys_holding(page, self.match)
        self.held_keys.update(held)
        self.erased.calls.update(filter(None, map(self.keys.call_sid_of, held)))

    def erase_unheld(self) -> Work[None]:
        """The calls' entries and keys that hold no number, but their lists of entries."""
        for stream in self.streams:
            members, held = yield from sweep_stream(stream, self.match, self.erased.calls,
                                                    not self.dry_run, self.progress,
                                                    f"erase {stream}")
            self.erased.count(stream, members)
            self.held_entries[stream] = held
        yield from sweep_keys(self.nodes, self.keys, self._erase_keys, self.progress,
                              "erase keys")

    def _erase_keys(self, page: list[str]) -> Work[None]:
        # A call's list of entries stays until the last step has read it (_arrivals unlinks it):
        # it names the entries recorded for the call after the stream sweeps. A dry run, which
        # counts nothing in the last step, counts it here.
        calls = self.erased.calls
        read_later = set() if self.dry_run else {self.keys.call_events(call) for call in calls}
        doomed = [key for key in page if key not in self.held_keys and key not in read_later
                  and self.keys.call_sid_of(key) in calls]
        yield from self._unlink(doomed)

    def erase_held(self) -> Work[None]:
        """What arrived for the calls meanwhile, then what holds a number, then the calls' keys."""
        if not self.dry_run:
            yield from self._arrivals()
        for stream, ids in self.held_entries.items():
            yield from self._xdel(stream, ids)
        known = [] if self.dry_run else [
            key for call in sorted(self.erased.calls) for key in (
                self.keys.call_events(call), self.keys.status(call), self.keys.context(call))]
        yield from self._unlink([*sorted(self.held_keys), *known])

    def _arrivals(self) -> Work[None]:
        """The entries the calls' lists name, with their delivery markers, then the lists: those
        recorded after the stream sweeps, and those a sweep passed before their call was known
        (its number came later in the stream). Not the entries holding a number: they go next,
        and until then they let a run cut short here find the calls again."""
        calls = sorted(self.erased.calls)
        held = {stream: set(ids) for stream, ids in self.held_entries.items()}
        for done, batch in _batches(calls):
            names = [self.keys.call_events(call) for call in batch]
            lists = yield pipelined(*(lambda pipe, name=name: pipe.lrange(name, 0, -1)
                                      for name in names))
            arrived = [ref for found in lists for ref in map(EventRef.parse, found)
                       if ref.entry_id not in held[self.keys.events(ref.kind)]]
            for _, refs in _batches(arrived):
                yield from self._erase_arrived(refs)
            yield from self._unlink(names)
            self.progress("erase arrivals", done, len(calls))

    def _erase_arrived(self, refs: list[EventRef]) -> Work[None]:
        found = yield from load_events(self.keys, refs)
        markers = [self.keys.delivery(ref.kind, fields["delivery_id"], fields.get("call_sid"))
                   for ref, fields in found if fields and fields.get("delivery_id")]
        for kind in EVENT_KINDS:
            yield from self._xdel(self.keys.events(kind),
                                  [ref.entry_id for ref in refs if ref.kind == kind])
        yield from self._unlink(markers)

    def _xdel(self, stream: str, ids: list[str]) -> Work[None]:
        for done, batch in _batches(ids):
            removed = len(batch)
            if not self.dry_run:
                removed = yield written(lambda client, batch=batch: client.xdel(stream, *batch))
            self.erased.count(stream, removed)
            self.progress(f"erase {stream}", done, len(ids))

    def _unlink(self, doomed: list[str]) -> Work[None]:
        if self.dry_run:
            self.erased.keys += len(doomed)
            return
        for done, batch in _batches(doomed):
            # One UNLINK per key: on a Cluster the keys of a batch live in different slots.
            replies = yield written(*(lambda pipe, key=key: pipe.unlink(key) for key in batch))
            self.erased.keys += replies if len(batch) == 1 else sum(replies)
            self.progress("delete keys", done, len(doomed))
