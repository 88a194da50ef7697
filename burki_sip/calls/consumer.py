"""Consume an event stream through a consumer group: at least once, retried, dead-lettered.

    from burki_sip.calls import open_store
    from burki_sip.calls.consumer import Consumer, ConsumerSettings

    store = open_store()
    consumer = Consumer(store.client, store.keys, ConsumerSettings("status", "billing", "billing-1"))
    consumer.run(handle)   # handle(event: Event); returning acknowledges, raising retries

docs/events.md has the guarantees, the duplicates to expect and the entry schema.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import redis

from .connection import is_cluster
from .delivery import ConsumerSettings, GROUP_LUA, ConsumerState, Delivery, group_lost
from .events import Event
from .keys import Keys

log = logging.getLogger(__name__)

# Seconds to wait after Redis failed or could not be reached: first and longest (doubling).
BACKOFF = (0.2, 5.0)

Handler = Callable[[Event], object]


class Consumer:
    """One consumer of a group on one event stream (sync; ``AsyncConsumer`` for asyncio)."""

    def __init__(self, client: redis.Redis, keys: Keys, settings: ConsumerSettings) -> None:
        self.client = client
        self.settings = settings
        self.state = ConsumerState(keys, settings)
        self._group = client.register_script(GROUP_LUA)

    def ensure_group(self) -> bool:
        """Create the group (and the stream) if absent, and make sure Redis knows its lag
        (``group.lua``: once, on start-up). True when the group was created now."""
        start = "0" if self.settings.from_start else "$"
        created, counted = self._group(keys=[self.state.stream],
                                              args=[self.settings.group, start])
        if counted >= 0:
            log.info("group %s: Redis had lost its lag; counted %d entries not yet delivered",
                     self.settings.group, counted)
        return bool(created)

    def run(self, handler: Handler, stop: Callable[[], bool] = lambda: False) -> None:
        """Handle events until ``stop()`` is true, checked before each event; Redis blips wait."""
        wait, ready = BACKOFF[0], False
        while not stop():
            try:
                if not ready:  # in the loop: a consumer started before Redis waits
                    self.ensure_group()
                    ready = True
                self.poll(handler, stop)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("consumer %s: Redis failed (%s); retrying in %.1f s",
                            self.settings.consumer, exc, wait)
                self.state.recover()  # an acknowledgement may have been lost
                time.sleep(wait)
                wait = min(wait * 2, BACKOFF[1])
                continue
            except redis.ResponseError as exc:
                if not group_lost(exc):
                    raise
                log.warning("consumer %s: the stream or group %s is gone; creating it again",
                            self.settings.consumer, self.settings.group)
                ready = False
                continue
            wait = BACKOFF[0]

    def poll(self, handler: Handler, stop: Callable[[], bool] = lambda: False) -> int:
        """One round: own due retries, else entries dead peers left, else new entries.

        Returns:
            How many events the handler finished.
        """
        deliveries = self._own_due() or self._take_over() or self._read_new()
        handled = 0
        for delivery in deliveries:
            if stop():
                break  # the rest stay pending: re-delivered after the restart
            handled += self.deliver(delivery, handler)
        return handled

    def deliver(self, delivery: Delivery, handler: Handler) -> int:
        """Run the handler on one delivery and acknowledge it; or dead-letter it. 1 if handled."""
        state = self.state
        if state.is_dead(delivery):
            self._dead_letter(delivery)
            return 0
        try:
            handler(Event.parse(self.settings.kind, delivery.entry_id, delivery.fields))
        except Exception as exc:  # any handler failure means: retry later, then dead-letter
            log.warning("event %s failed (delivery %d): %s", delivery.entry_id,
                        delivery.deliveries, exc)
            state.failed(delivery, exc)
            return 0
        self.client.xack(state.stream, self.settings.group, delivery.entry_id)
        state.acked(delivery)
        return 1

    def _own_due(self) -> list[Delivery]:
        min_idle = self.state.own_idle_ms()
        if min_idle is None:
            return []
        state, settings = self.state, self.settings
        rows = self.client.xpending_range(state.stream, settings.group, state.own_start(), "+",
                                          settings.batch, consumername=settings.consumer)
        due, idle = state.own_due(rows, min_idle)
        if not due:
            return []
        claimed = self.client.xclaim(state.stream, settings.group, settings.consumer, idle, due)
        return state.deliveries(claimed, rows)

    def _take_over(self) -> list[Delivery]:
        state, settings = self.state, self.settings
        if not state.takeover_due():
            return []
        cursor, claimed, deleted = self.client.xautoclaim(
            state.stream, settings.group, settings.consumer, int(settings.claim_idle * 1000),
            state.cursor, count=settings.batch)[:3]
        state.scanned(cursor)
        if deleted:
            log.warning("entries %s were deleted before they were acknowledged", deleted)
        if not claimed:
            return []
        rows = self.client.xpending_range(state.stream, settings.group, claimed[0][0],
                                          claimed[-1][0], 2 * max(len(claimed), settings.batch),
                                          consumername=settings.consumer)
        return state.deliveries(claimed, rows, since=0)

    def _read_new(self) -> list[Delivery]:
        replies = self.client.xreadgroup(self.settings.group, self.settings.consumer,
                                         {self.state.stream: ">"}, count=self.settings.batch,
                                         block=self.state.read_block_ms())
        return [Delivery(entry_id, fields, 1)
                for _, entries in replies or () for entry_id, fields in entries]

    def _dead_letter(self, delivery: Delivery) -> None:
        """Move an entry to the dead-letter stream and acknowledge it (atomic on one server)."""
        state = self.state
        with self.client.pipeline(transaction=not is_cluster(self.client)) as pipe:
            pipe.xadd(state.dead_stream, state.dead_fields(delivery),
                      maxlen=self.settings.dead_maxlen, approximate=True)
            pipe.xack(state.stream, self.settings.group, delivery.entry_id)
            pipe.execute()
        log.error("event %s dead-lettered after %d deliveries", delivery.entry_id,
                  delivery.deliveries - 1)
