"""Stopping without dropping what already arrived: the listen backlog is served before exit.

gunicorn's workers stop accepting as soon as SIGTERM arrives and close the listening socket when
they exit; the kernel then resets every connection still queued in its accept backlog, though
the client sent its request before the signal. Here a stopping worker keeps accepting until the
shared backlog is empty (or the graceful timeout is near), and only then stops as gunicorn does:
in-flight requests finish, kept-alive connections are answered with ``Connection: close``.

So that the backlog does empty under steady load, the master shrinks it to its minimum when it
is told to stop (``cap_backlog_on_stop``): new connections after the signal are dropped and
then refused, as a stopping service may. Not on SIGHUP or a replaced worker: the new workers
keep the same socket and its full backlog.
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
# Stop draining this long before graceful_timeout, so the worker still exits by itself.
DRAIN_MARGIN_SECONDS = 2.0


def queued_connections(listener) -> int:
    """Connections in ``listener``'s accept queue (a gunicorn or plain socket); 0 if unknown."""
    sock = getattr(listener, "sock", listener)
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO.size)
    except (AttributeError, OSError):  # not TCP (a Unix socket), or not Linux
        return 0
    return _TCP_INFO.unpack(info)[_QUEUED_FIELD]


class DrainOnStop:
    """Worker mixin: on SIGTERM, go on accepting until the accept queue is empty, then stop."""

    stopping_since: float | None = None
    _term_while_booting = False

    def init_process(self) -> None:
        """Keep a SIGTERM that arrives while booting: gunicorn's handlers come only later, and
        until then the master's, copied by the fork, would swallow it (the master then waits
        out the whole graceful timeout)."""
        signal.signal(signal.SIGTERM, self._note_term_while_booting)
        super().init_process()

    def _note_term_while_booting(self, sig, frame) -> None:
        self._term_while_booting = True

    def init_signals(self) -> None:
        super().init_signals()
        if self._term_while_booting:
            self.handle_exit(signal.SIGTERM, None)

    def handle_exit(self, sig, frame) -> None:
        """SIGTERM: start draining; ``drained()`` turns ``alive`` off when the queue is empty."""
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()

    def drained(self) -> bool:
        """While stopping: True (and ``alive`` off) once nothing waits in the accept queue."""
        if self.stopping_since is None:
            return False
        late = time.monotonic() - self.stopping_since > max(
            self.cfg.graceful_timeout - DRAIN_MARGIN_SECONDS, 0)
        if late or not any(queued_connections(listener) for listener in self.sockets):
            self.alive = False
            return True
        return False


def cap_backlog_on_stop(arbiter) -> None:
    """Make the master shrink the listen backlog when SIGTERM tells it to stop (``on_starting``).

    ``listen(0)`` on a listening socket only lowers its limit: connections already queued stay
    and are served by the draining workers; a new one is admitted only while the queue is empty.
    Not when another process goes on with the same socket: a master started by USR2 (or the one
    that started this one), or systemd's socket activation; gunicorn's own test for whether to
    unlink the socket on stop.
    """
    stop = arbiter.handle_term

    def handle_term() -> None:
        if arbiter.reexec_pid == arbiter.master_pid == 0 and not arbiter.systemd:
            for listener in arbiter.LISTENERS:
                try:
                    listener.sock.listen(0)
                except (AttributeError, OSError):
                    pass  # already closed: nothing to cap
        stop()

    arbiter.handle_term = handle_term
