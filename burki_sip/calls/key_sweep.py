"""An erasure's sweep through every key under the prefix: ``sweep_keys`` (``SCAN`` on every
primary of a Cluster, a page at a time), and ``keys_holding`` a number."""

from __future__ import annotations

from typing import Any, Callable

from .connection import is_cluster
from .drivers import Work, pipelined
from .keys import Keys
from .numbers import NumberMatch
from .stream_sweep import Progress

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


def primaries(client: Any) -> list | None:
    """The primaries of a Cluster client, each scanned on its own; ``None`` for one server."""
    return client.get_primaries() if is_cluster(client) else None


def sweep_keys(nodes: list | None, keys: Keys, handle: Callable[[list[str]], Work],
               progress: Progress, stage: str) -> Work[int]:
    """Hand ``handle`` each SCAN page of the keys under the prefix, on every node; the count."""
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
    return scanned


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
