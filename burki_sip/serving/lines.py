"""Access lines written to stdout by one greenlet, so a slow stdout never stalls a gevent worker.

A request's blocking ``write`` to a pipe (a log router, a full pipe buffer) stops every greenlet of
its worker: measured, p99 fell from 580 to 203 ms with the access line off (docs/PERFORMANCE.md).
Here a request only queues its line; one greenlet writes what is queued, in order, through gevent's
thread pool (the write blocks a thread, not the worker), each write at most ``PIPE_BUF`` bytes of
whole lines so lines of the two workers never interleave. ``close`` writes what is left: the worker
calls it as it exits, SIGTERM included.
"""

from __future__ import annotations

import collections
import os
import select

import gevent
from gevent.event import Event

# A queue this long means stdout is stuck: requests then wait for room (their greenlet, not the
# worker), so memory stays bounded and no line is dropped.
MAX_QUEUED = 10_000
CLOSE_SECONDS = 5.0


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is out (a pipe may take part of a write)."""
    while data:
        data = data[os.write(fd, data):]


class BackgroundLines:
    """A FIFO of encoded lines and the greenlet that writes them to ``fd``."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending: collections.deque[bytes] = collections.deque()
        self.wake = Event()
        self.room = Event()
        self.room.set()
        self.closing = False
        self.greenlet = gevent.spawn(self._run)

    def put(self, line: str) -> None:
        """Queue one line (ending in a newline) to be written after every line queued before it."""
        while len(self.pending) >= MAX_QUEUED:
            self.room.clear()
            self.room.wait()
        self.pending.append(line.encode())
        self.wake.set()

    def _take(self) -> bytes:
        """Whole lines from the queue's head, at most PIPE_BUF bytes (or one longer line)."""
        chunk = [self.pending.popleft()]
        size = len(chunk[0])
        while self.pending and size + len(self.pending[0]) <= select.PIPE_BUF:
            size += len(self.pending[0])
            chunk.append(self.pending.popleft())
        return b"".join(chunk)

    def _run(self) -> None:
        pool = gevent.get_hub().threadpool
        while not (self.closing and not self.pending):
            self.wake.wait()
            self.wake.clear()
            while self.pending:
                chunk = self._take()
                self.room.set()
                try:
                    pool.apply(write_all, (self.fd, chunk))
                except OSError:  # stdout closed: like logging's handleError, serving goes on
                    pass

    def close(self) -> None:
        """Write every queued line, then stop; lines left after ``CLOSE_SECONDS`` are written here."""
        self.closing = True
        self.wake.set()
        self.greenlet.join(timeout=CLOSE_SECONDS)
        self.greenlet.kill(block=False)
        while self.pending:
            try:
                write_all(self.fd, self._take())
            except OSError:
                break
