"""Load that is on its way when gunicorn is told to stop or reload, and what became of it.

Used by tests/integration/test_shutdown.py and bench/shutdown.py. Every loop is bounded.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rawhttp import Connection, prewarm_bytes


@dataclass
class Sent:
    """One request: when its last byte was handed to the kernel, and the answer (None: none)."""

    call_sid: str
    sent_at: float | None
    status: int | None


class SteadyLoad:
    """``clients`` keep-alive connections, each sending prewarms back to back; after ``signal``
    each goes on until the server closes its connection and a new one is refused."""

    def __init__(self, port: int, clients: int = 32, max_seconds: float = 20.0) -> None:
        self.port, self.clients = port, clients
        self.deadline = time.monotonic() + max_seconds
        self.signalled_at: float | None = None
        self.records: list[Sent] = []
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(clients)
        self.futures = [self.pool.submit(self._client, n) for n in range(clients)]

    def _record(self, sent: Sent) -> None:
        with self.lock:
            self.records.append(sent)

    def _client(self, number: int) -> None:
        connection, count = None, 0
        try:
            while time.monotonic() < self.deadline:
                if connection is None:
                    try:
                        connection = Connection(self.port, timeout=10)
                    except OSError:
                        if self.signalled_at is not None:
                            return  # refused after the signal: allowed
                        raise
                count += 1
                connection, stop = self._one(connection, f"load-{number}-{count}")
                if stop:
                    return
        finally:
            if connection is not None:
                connection.close()

    def _one(self, connection: Connection, call_sid: str) -> tuple[Connection | None, bool]:
        """One prewarm; the connection to go on with (None: closed) and whether to stop."""
        sent_at = None
        try:
            connection.send(prewarm_bytes(call_sid))
            sent_at = time.monotonic()
            answer = connection.read_answer()
        except OSError:
            self._record(Sent(call_sid, sent_at, None))
            connection.close()
            return None, self.signalled_at is not None
        self._record(Sent(call_sid, sent_at, answer.status))
        if answer.closes:
            connection.close()
            return None, False
        return connection, False

    def wait_for(self, answers: int, timeout: float = 10.0) -> None:
        """Let the load run until ``answers`` answers came back."""
        limit = time.monotonic() + timeout
        while len(self.records) < answers and time.monotonic() < limit:
            time.sleep(0.01)

    def signal(self, pid: int, sig: int, group: bool = False) -> None:
        """Signal ``pid`` (or its process group) and note the time first."""
        self.signalled_at = time.monotonic()
        (os.killpg if group else os.kill)(pid, sig)

    def finish(self) -> list[Sent]:
        """Wait for every client to stop; re-raise a client's unexpected error."""
        for future in self.futures:
            future.result(timeout=60)
        self.pool.shutdown()
        return self.records

    def before_signal(self) -> list[Sent]:
        """Requests whose bytes had all reached the kernel before the signal."""
        return [sent for sent in self.records
                if sent.sent_at is not None and sent.sent_at < self.signalled_at]


def held_back_requests(port: int, count: int) -> list[tuple[Connection, bytes]]:
    """``count`` connections, each with a prewarm sent but for its last byte."""
    held = []
    for number in range(count):
        connection = Connection(port, timeout=30)
        data = prewarm_bytes(f"held-{number}")
        connection.send(data[:-1])
        held.append((connection, data[-1:]))
    return held


def finish_held_back(held: list[tuple[Connection, bytes]]) -> list[int | None]:
    """Send each held-back request's last byte and read its answer (None: reset or closed)."""
    statuses = []
    for connection, last in held:
        try:
            connection.send(last)
            statuses.append(connection.read_answer().status)
        except OSError:
            statuses.append(None)
        finally:
            connection.close()
    return statuses


def stop_workers(pids, sig=signal.SIGSTOP) -> None:
    """SIGSTOP (or SIGCONT) each worker."""
    for pid in pids:
        os.kill(pid, sig)
