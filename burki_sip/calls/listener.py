"""The sync driver of ``waiters.py``: ``Listener`` (threads; ``async_listener.py``: asyncio).

Each holds one redis-py pub/sub object for its store and runs ``waiters.reading`` for each
source: the server (or Sentinel primary), or each Cluster node a waited call's slot lives on.
A waiting claim sends its own subscription at once (the reader only retries one that failed,
and drops those nobody needs within ``waiters.READ_S``), then sleeps on its watch's event.
Under gunicorn's gevent worker the threads and events are greenlets' (gevent patches them).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from .connection import is_cluster
from .drivers import run
from .waiters import READ_S, Waiters, Watch, reading


class Reader:
    """One source's connection as ``reading`` uses it (sync); ``wake`` ends its ``idle``.

    Commands are sent one at a time (``sending``, the listener's lock): redis-py's pub/sub
    object opens its connection at its first command, and two opened at once would leave one
    subscription on a connection nobody reads. Reading needs no lock: one reader per source.
    """

    def __init__(self, pubsub: Any, node: Any, wake: Any, sending: Any) -> None:
        self.pubsub, self.node, self.wake, self.sending = pubsub, node, wake, sending

    def subscribe(self, *channels: str) -> None:
        with self.sending:
            self.pubsub.ssubscribe(*channels)

    def unsubscribe(self, *channels: str) -> None:
        with self.sending:
            self.pubsub.sunsubscribe(*channels)

    def read(self, timeout: float) -> Any:
        if self.node is None:
            return self.pubsub.get_message(timeout=timeout)
        return self.pubsub.get_sharded_message(target_node=self.node, timeout=timeout)

    def idle(self, timeout: float) -> None:
        self.wake.wait(timeout)
        self.wake.clear()

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)  # looked up now: under gevent, the patched one


class Listener:
    """Wakes a sync store's waiting claims: a reader thread per source, started when needed."""

    reader_class = Reader

    def __init__(self, client: Any) -> None:
        self.client = client
        self.waiters = Waiters(self._lock())
        self.readers: dict[str, Reader] = {}
        self.threads: list[threading.Thread] = []
        self.closed = False
        self._pubsub = None
        self._sending = self._sending_lock()

    # Made when needed, not bound at import: gunicorn's gevent worker patches threading after
    # this module may have been imported (by gunicorn.conf.py, in the master).
    @staticmethod
    def _lock() -> Any:
        return threading.Lock()

    @staticmethod
    def event_class() -> Any:
        return threading.Event()

    @staticmethod
    def _sending_lock() -> Any:
        return threading.Lock()

    def watch(self, channel: str) -> Watch:
        """A new watch of ``channel`` (not yet registered: ``subscribe`` does that)."""
        source = self.client.get_node_from_key(channel).name if is_cluster(self.client) else ""
        return Watch(channel, source, self.event_class())

    def sleep(self, watch: Watch, timeout: float) -> None:
        """Until the watch is woken (its channel spoke, its subscription holds) or ``timeout``."""
        watch.signal.wait(timeout)
        watch.signal.clear()

    def forget(self, watch: Watch) -> None:
        """The claim is done (or cancelled): its reader drops the subscription if unused."""
        self.waiters.remove(watch)

    def reader(self, source: str) -> Reader:
        """The reader of ``source``, started now if it was not yet."""
        with self.waiters.lock:  # threads: one pub/sub object, one reader per source
            return self._reader_of(source)

    def _reader_of(self, source: str) -> Reader:
        if source not in self.readers:
            if self._pubsub is None:
                self._pubsub = self.client.pubsub()
            node = self.client.get_node(node_name=source) if source else None
            reader = self.readers[source] = self.reader_class(self._pubsub, node,
                                                              self.event_class(), self._sending)
            self._start(reading(self.waiters, source, lambda: self.closed), reader)
        return self.readers[source]

    def _start(self, work: Any, reader: Reader) -> None:
        thread = threading.Thread(target=run, args=(work, reader), daemon=True,
                                  name="burki-sip-listener")
        thread.start()
        self.threads.append(thread)

    def close(self) -> None:
        """Stop the readers and close the subscriber connections."""
        self.closed = True
        for reader in self.readers.values():
            reader.wake.set()
        if self._pubsub is not None:
            self._pubsub.close()
        for thread in self.threads:
            thread.join(READ_S + 1)
