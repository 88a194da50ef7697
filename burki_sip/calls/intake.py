"""Which entries a consumer runs next, as work for ``drivers`` (sync and asyncio alike).

In order: its own pending entries when due (all of them after a restart), else entries that dead
peers left, else new ones. And when it stops, giving back those it read but did not run.
"""

from __future__ import annotations

import logging
import time

from .delivery import Delivery
from .drivers import Work, pipelined
from .pending import ConsumerState

log = logging.getLogger(__name__)


def next_entries(state: ConsumerState) -> Work[list[Delivery]]:
    """One round's entries, each with how often it was delivered."""
    return ((yield from own_due(state)) or (yield from take_over(state))
            or (yield from read_new(state)))


def own_due(state: ConsumerState) -> Work[list[Delivery]]:
    """This consumer's pending entries that are due again, claimed with their counts."""
    settings, min_idle = state.settings, state.own_idle_ms()
    if min_idle is None:
        return []
    start = state.own_start()
    rows = yield lambda client: client.xpending_range(
        state.stream, settings.group, start, "+", settings.batch, consumername=settings.consumer)
    due, idle = state.own_due(rows, min_idle)
    if not due:
        return []
    claimed = yield lambda client: client.xclaim(state.stream, settings.group,
                                                 settings.consumer, idle, due)
    return state.deliveries(claimed, rows)


def take_over(state: ConsumerState) -> Work[list[Delivery]]:
    """Entries idle for ``claim_idle`` (their consumer died), a page every ``claim_idle / 2``."""
    settings = state.settings
    if not state.takeover_due():
        return []
    if settings.dead_retention:  # dead letters outlive their stream's entries only so long
        yield lambda client: client.xtrim(state.dead_stream, minid=state.dead_floor(),
                                          approximate=False)
    cursor, claimed, deleted = (yield lambda client: client.xautoclaim(
        state.stream, settings.group, settings.consumer, int(settings.claim_idle * 1000),
        state.cursor, count=settings.batch))[:3]
    state.scanned(cursor)
    if deleted:
        log.warning("entries %s were deleted before they were acknowledged", deleted)
    if not claimed:
        return []
    rows = yield lambda client: client.xpending_range(
        state.stream, settings.group, claimed[0][0], claimed[-1][0],
        2 * max(len(claimed), settings.batch), consumername=settings.consumer)
    return state.deliveries(claimed, rows, since=0)


def read_new(state: ConsumerState) -> Work[list[Delivery]]:
    """Entries never delivered to the group, waiting for them up to ``read_block_ms``."""
    settings = state.settings
    replies = yield lambda client: client.xreadgroup(
        settings.group, settings.consumer, {state.stream: ">"}, count=settings.batch,
        block=state.read_block_ms())
    return [Delivery(entry_id, fields, 1)
            for _, entries in replies or () for entry_id, fields in entries]


def release(state: ConsumerState, unrun: list[Delivery], received: float) -> Work[None]:
    """Give entries read at ``received`` (monotonic) but not run their delivery count back.

    ``XCLAIM ... RETRYCOUNT n JUSTID`` sets the count without counting a delivery. Its min idle
    time is the time since they were read, so an entry a peer took since stays the peer's.
    """
    settings = state.settings
    idle_ms = int((time.monotonic() - received) * 1000)
    yield pipelined(*(
        lambda pipe, count=count, ids=ids: pipe.xclaim(
            state.stream, settings.group, settings.consumer, idle_ms, ids,
            retrycount=count, justid=True)
        for count, ids in state.counts_before(unrun).items()))
