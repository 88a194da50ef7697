"""Claims that wait for their context: who waits for which call (``Waiters``), and the reader's
loop that wakes them (``reading``, driver work run by ``listener.py``). No I/O here; the whole
is in docs/lifecycle.md ("How it works").
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .drivers import Work

log = logging.getLogger(__name__)

# A reader blocks at most this long per read: then it drops the subscriptions nobody needs.
READ_S = 1.0
# A reader whose connection broke tries again after this, doubling up to the cap; a read that
# returned nothing at once (no connection to read yet) is followed by a fifth of it.
RETRY_S, RETRY_CAP_S = 0.05, 0.5


@dataclass(eq=False)
class Watch:
    """One waiting claim's interest in a channel; ``signal`` (the driver's event) wakes it."""

    channel: str
    source: str  # '', or the Cluster node the channel's slot lives on
    signal: Any


@dataclass
class Waiters:
    """The channels one process waits on, by source."""

    lock: Any
    watches: dict[str, set[Watch]] = field(default_factory=dict)
    sent: dict[str, str] = field(default_factory=dict)  # channel -> source, subscription sent
    live: set[str] = field(default_factory=set)  # subscriptions Redis confirmed

    def add(self, watch: Watch) -> bool:
        """Register ``watch``; True when its channel's subscription is for the caller to send."""
        with self.lock:
            self.watches.setdefault(watch.channel, set()).add(watch)
            if watch.channel in self.live:
                watch.signal.set()  # already subscribed: look again at once
            if watch.channel in self.sent:
                return False
            self.sent[watch.channel] = watch.source
            return True

    def unsent(self, channel: str) -> None:
        """The subscription could not be sent: the reader sends it once it is connected again."""
        with self.lock:
            self.sent.pop(channel, None)

    def remove(self, watch: Watch) -> None:
        """Forget ``watch``; its reader drops the subscription if nobody else needs it."""
        with self.lock:
            watches = self.watches.get(watch.channel, set())
            watches.discard(watch)
            if not watches:
                self.watches.pop(watch.channel, None)

    def changes(self, source: str) -> tuple[list[str], list[str]]:
        """The channels of ``source`` to subscribe and to unsubscribe now, marked as done."""
        with self.lock:
            subscribe = [channel for channel, watches in self.watches.items()
                         if channel not in self.sent and next(iter(watches)).source == source]
            drop = [channel for channel, owner in self.sent.items()
                    if owner == source and channel not in self.watches]
            self.sent.update(dict.fromkeys(subscribe, source))
            self._unsend(drop)
            return subscribe, drop

    def lost(self, source: str) -> None:
        """The connection of ``source`` broke: each of its channels is to be subscribed anew."""
        with self.lock:
            self._unsend([channel for channel, owner in self.sent.items() if owner == source])

    def _unsend(self, channels: list[str]) -> None:
        for channel in channels:
            del self.sent[channel]
            self.live.discard(channel)

    def handle(self, message: dict | None) -> None:
        """Wake the watches a message concerns (a publication, or a subscription confirmed)."""
        kind = message and message["type"]
        if kind not in ("smessage", "ssubscribe", "sunsubscribe"):
            return
        channel = message["channel"]
        with self.lock:
            if kind == "sunsubscribe":  # ours, or Redis's when a slot moved: resubscribe if needed
                self.live.discard(channel)
                if channel in self.watches:
                    self.sent.pop(channel, None)
                return
            if kind == "ssubscribe":
                self.live.add(channel)
            for watch in self.watches.get(channel, ()):
                watch.signal.set()

    def waiting(self, source: str) -> bool:
        """True while some claim waits on a channel of ``source``."""
        with self.lock:
            return source in self.sent.values() or any(
                next(iter(watches)).source == source for watches in self.watches.values())


def reading(waiters: Waiters, source: str, node: Any, wake: Any, closed: Callable[[], bool],
            clock: Callable[[], float] = time.monotonic) -> Work[None]:
    """The loop of the reader of ``source`` (its Cluster ``node``, or ``None``): subscribe what
    the waiters need, hand over what Redis sends; after an error, back off and subscribe anew.
    ``wake`` ends its idle wait at once."""
    pause = RETRY_S
    while not closed():
        started = clock()
        try:
            if not waiters.waiting(source):
                yield lambda listener: listener.sleep(wake, READ_S)
                continue
            subscribe, drop = waiters.changes(source)
            if drop:
                yield lambda listener: listener.unsubscribe(*drop)
            if subscribe:
                yield lambda listener: listener.subscribe(*subscribe)
            message = yield lambda listener: listener.read(node, READ_S)
        except Exception as exc:  # whatever broke, the claims keep waiting: subscribe anew
            if closed():
                return
            log.warning("subscriber connection failed (%s: %s); retrying in %.2f s",
                        type(exc).__name__, exc, pause)
            waiters.lost(source)
            yield lambda listener: listener.pause(pause)
            pause = min(pause * 2, RETRY_CAP_S)
            continue
        pause = RETRY_S
        waiters.handle(message)
        if message is None and clock() - started < READ_S / 2:
            # Nothing to read from yet (a Cluster node's connection not made): don't spin.
            yield lambda listener: listener.pause(RETRY_S / 5)
