"""Slow clients against the service as the Procfile runs it: other prewarms' latency meanwhile.

    .venv/bin/python bench/slowclients.py [SLOW_CONNECTIONS]

SLOW_CONNECTIONS (1000) connections each send a prewarm one byte a second (a client that
reconnects when the server drops it), while wrk sends prewarms on 8 keep-alive connections for
BENCH_SECONDS (10); wrk's p50/p99 are printed, with the same run without slow clients first.
Everything on loopback; the slow senders stop when wrk does. Another worker class is gunicorn's
own setting: ``GUNICORN_CMD_ARGS="--worker-class gthread --threads 4"``.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from loadgen import run_wrk  # noqa: E402
from rawhttp import prewarm_bytes  # noqa: E402
from support import Gunicorn, RedisServer  # noqa: E402

API_KEY = "bench-key"
SLICES = 50  # each second's bytes go out in this many batches


class SlowSenders(threading.Thread):
    """``count`` connections, one byte a second each, reopened when the server closes them."""

    def __init__(self, port: int, count: int) -> None:
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.data = prewarm_bytes("slow-client", {"Authorization": f"Bearer {API_KEY}"})
        self.stop = threading.Event()
        self.reopened = 0

    def _open(self) -> list:
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", self.port))
        return [sock, 0]

    def run(self) -> None:
        senders = [self._open() for _ in range(self.count)]
        slices = [senders[start::SLICES] for start in range(SLICES)]
        while not self.stop.is_set():
            for part in slices:  # spread over the second, as independent clients would be
                self.stop.wait(1.0 / SLICES)
                self._send(part)
        for sock, _ in senders:
            sock.close()

    def _send(self, senders: list) -> None:
        for sender in senders:
            sock, sent = sender
            try:
                sock.send(self.data[sent % len(self.data):][:1])
                sender[1] = sent + 1
            except OSError:  # dropped by the server, or not yet connected: start again
                sock.close()
                sender[:] = self._open()
                self.reopened += 1


def measure(port_url: str, seconds: int) -> dict:
    run = run_wrk(port_url, "prewarm", seconds=seconds, connections=8, threads=1, tag="s",
                  api_key=API_KEY)
    return {"rate": round(run.rate), "p50_ms": run.p50_us / 1000, "p99_ms": run.p99_us / 1000,
            "errors": run.status_errors + run.socket_errors}


def main(count: int) -> None:
    server = RedisServer().start()
    service = Gunicorn(server.url, workers=None, SIP_BRIDGE_API_KEY=API_KEY)
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    try:
        service.start()
        time.sleep(1.0)
        print("without slow clients:", measure(service.url, seconds))
        slow = SlowSenders(service.port, count)
        slow.start()
        time.sleep(3.0)  # every slow connection open and trickling
        print(f"with {count} slow clients:", measure(service.url, seconds),
              f"(slow connections reopened {slow.reopened} times)")
        slow.stop.set()
        slow.join(timeout=30)
    finally:
        service.stop()
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
