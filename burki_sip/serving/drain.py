"""How a worker stops: SIGTERM serves what already arrived, and a quick stop runs once.

The one place that relies on gunicorn's internals. On SIGTERM a worker closes its listeners and
the kernel resets every connection still in the accept queue, requests a deploy would drop; no
setting or hook prevents it (https://github.com/benoitc/gunicorn/issues/3397). So two documented
hooks put our SIGTERM handler in front of gunicorn's: the worker serves until its queue is empty
(or half of ``graceful_timeout`` has gone), then gunicorn's handler stops it. It relies on
``worker.sockets``, ``worker.cfg``, SIGTERM staying blocked through the boot and the worker's
SIGTERM and SIGQUIT/SIGINT handlers being installed by ``post_worker_init`` (``quick_stop_once``
wraps the latter): ``tests/test_drain.py`` fails when an upgrade changes any of it.
"""

from __future__ import annotations

import signal
import socket
import struct
import time

# struct tcp_info (linux/tcp.h): 8 bytes, then 32-bit fields; for a listening socket the 5th,
# tcpi_unacked, is the number of connections waiting in the accept queue.
_TCP_INFO = struct.Struct("8B24I")
_QUEUED_FIELD = 8 + 4
POLL_SECONDS = 0.02
# The share of graceful_timeout spent draining at most; the rest is for what it accepted to
# finish. A worker whose connections are not kept alive (sync) sees new ones arrive all along.
DRAIN_SHARE = 0.5


def queued_connections(listener) -> int:
    """Connections waiting in ``listener``'s accept queue; 0 if unknown (not TCP, not Linux)."""
    try:
        info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO.size)
    except (AttributeError, OSError):
        return 0
    return _TCP_INFO.unpack(info)[_QUEUED_FIELD]


def hold_sigterm(server, worker) -> None:
    """``post_fork``: keep a SIGTERM that arrives while the worker boots pending: the master's
    handler, copied by the fork, would swallow it and the master wait out the graceful timeout."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def drain_on_sigterm(worker) -> None:
    """``post_worker_init``: on SIGTERM, serve the accept queue first, then stop as gunicorn does."""
    drain = Drain(worker.sockets, worker.cfg.graceful_timeout, signal.getsignal(signal.SIGTERM))
    signal.signal(signal.SIGALRM, drain.check)
    signal.signal(signal.SIGTERM, drain.start)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # one held while booting: now


class Drain:
    """Our SIGTERM handler; SIGALRM polls the queue and hands over to gunicorn's handler."""

    def __init__(self, listeners, graceful_timeout: float, stop) -> None:
        self.listeners, self.stop = listeners, stop
        self.budget = graceful_timeout * DRAIN_SHARE
        self.since: float | None = None
        self.done = False

    def start(self, sig, frame) -> None:
        """SIGTERM: note the time and poll (the platform and the master may both send one)."""
        if self.since is None:
            self.since = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, POLL_SECONDS, POLL_SECONDS)
            self.check(sig, frame)

    def check(self, sig, frame) -> None:
        """Once nothing waits in the queue (or time is short), stop polling and stop as usual."""
        if self.since is None or self.done:
            return
        late = time.monotonic() - self.since >= self.budget
        if late or not any(queued_connections(listener) for listener in self.listeners):
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.done = True
            self.stop(signal.SIGTERM, frame)


def quick_stop_once() -> None:
    """A quick stop (SIGINT, SIGQUIT) runs gunicorn's handler once: after Ctrl-C the master sends
    SIGQUIT too, and a gevent worker stopping twice prints a traceback. (Not ``SIG_IGN``: Python
    reports a signal already on its way to an ignored handler as an error.)"""
    quick_stop, stopping = signal.getsignal(signal.SIGQUIT), []

    def stop_once(sig, frame) -> None:
        if not stopping:
            stopping.append(sig)
            quick_stop(sig, frame)

    signal.signal(signal.SIGINT, stop_once)
    signal.signal(signal.SIGQUIT, stop_once)
