"""Load across a Redis failover or restart, and what became of every answer it was given.

Used by tests/integration/test_failover.py and test_restart.py. Every loop is bounded.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass

import redis

from burki_sip.calls import open_async_store
from burki_sip.calls.claims import OWNER_FIELD
from burki_sip.calls.keys import Keys
from rawhttp import Connection, prewarm_bytes, request_bytes
from support import RedisServer, wait_until

RATE = 200
# Enough connections that writes held for WAIT's timeout (0.5 s) still leave 200 a second.
CLIENTS = 128


@dataclass
class Sent:
    """One request: what, for which call, when it was sent, and its answer (status None: none)."""

    kind: str
    call_sid: str
    sent_at: float
    status: int | None
    retry_after: str | None = None
    event_id: str | None = None
    answered_at: float | None = None


def status_bytes(call_sid: str) -> bytes:
    """A status callback moving ``call_sid`` to ringing."""
    return request_bytes("/sip-status", json.dumps({"call_sid": call_sid,
                                                    "status": "ringing"}).encode())


class Load:
    """``rate`` requests a second, prewarms and status callbacks in turn, each for a call of its
    own, from ``CLIENTS`` keep-alive connections; every answer is kept in ``sent``."""

    def __init__(self, port: int, tag: str, rate: int = RATE, max_seconds: float = 40) -> None:
        self.port, self.tag, self.rate = port, tag, rate
        self.started = time.monotonic()
        self.deadline = self.started + max_seconds
        self.stopping = threading.Event()
        self.sent: list[Sent] = []
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True)
                        for n in range(CLIENTS)]
        for thread in self.threads:
            thread.start()

    def _client(self, first: int) -> None:
        connection, index = None, first
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            if self.stopping.wait(max(0.0, self.started + index / self.rate - time.monotonic())):
                break
            kind = "prewarm" if index % 2 == 0 else "status"
            call_sid = f"{self.tag}-{index}"
            data = prewarm_bytes(call_sid) if kind == "prewarm" else status_bytes(call_sid)
            sent = Sent(kind, call_sid, time.monotonic(), None)
            try:
                connection = connection or Connection(self.port, timeout=10)
                connection.send(data)
                answer = connection.read_answer()
            except OSError:  # ConnectionError, a timeout: no answer
                if connection:
                    connection.close()
                connection = None
            else:
                sent.answered_at = time.monotonic()
                sent.status, sent.retry_after = answer.status, answer.headers.get("retry-after")
                sent.event_id = answer.json().get("event_id") if answer.status == 200 else None
                if answer.closes:
                    connection.close()
                    connection = None
            self.sent.append(sent)
            index += CLIENTS
        if connection:
            connection.close()

    def wait_all_ok(self, since: float, seconds: float = 1.0, timeout: float = 30) -> None:
        """Go on until the requests sent during ``seconds`` after ``since`` were all answered
        200 (those sent in the last half second may still be waiting for their answer)."""
        def all_ok() -> bool:
            end = time.monotonic() - 0.5
            recent = [sent for sent in list(self.sent) if end - seconds < sent.sent_at <= end]
            return (end - seconds > since and len(recent) >= 0.9 * self.rate * seconds
                    and all(sent.status == 200 for sent in recent))
        wait_until(all_ok, timeout=timeout, interval=0.1, what="a second of 200s")

    def stop(self) -> list[Sent]:
        """Stop sending; every request's answer, in the order they were sent."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=15)
        return sorted(self.sent, key=lambda sent: sent.sent_at)


def lost(answered: list[Sent], client: redis.Redis, keys: Keys = Keys()) -> list[Sent]:
    """The requests answered 200 whose data ``client``'s server does not hold, complete."""
    ok = [sent for sent in answered if sent.status == 200]
    pipe = client.pipeline(transaction=False)
    for sent in ok:
        if sent.kind == "prewarm":
            pipe.get(keys.context(sent.call_sid))
        else:
            pipe.xrange(keys.events("status"), sent.event_id, sent.event_id)
            pipe.hget(keys.status(sent.call_sid), "status")
    replies = iter(pipe.execute())
    return [sent for sent in ok if not _complete(sent, replies)]


def _complete(sent: Sent, replies) -> bool:
    if sent.kind == "prewarm":
        raw = next(replies)
        return raw is not None and json.loads(raw)["call_sid"] == sent.call_sid
    entries, status = next(replies), next(replies)
    return bool(entries) and status == "ringing"


class PromotionWatch:
    """When one of ``servers`` first answers ROLE as a primary (monotonic time, or None)."""

    def __init__(self, servers: list[RedisServer]) -> None:
        self.clients = [server.client(socket_timeout=0.2) for server in servers]
        self.promoted_at: float | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        deadline = time.monotonic() + 60
        while self.promoted_at is None and not self.stopping.wait(0.005):
            for client in self.clients:
                try:
                    if client.role()[0] == "master":
                        self.promoted_at = time.monotonic()
                except redis.RedisError:
                    pass
            if time.monotonic() > deadline:
                return

    def wait(self, timeout: float = 30) -> float:
        """The time of the promotion, once there is one."""
        promoted = wait_until(lambda: self.promoted_at, timeout=timeout, what="a promotion")
        self.stop()
        return promoted

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for client in self.clients:
            client.close()


def answers_after(answered: list[Sent], moment: float) -> list[Sent]:
    """The requests sent after ``moment``."""
    return [sent for sent in answered if sent.sent_at > moment]


def failing_window(answered: list[Sent]) -> float:
    """Seconds from the first request not answered 200 to the last one (0: all were)."""
    failed = [sent.sent_at for sent in answered if sent.status != 200]
    return failed[-1] - failed[0] if failed else 0.0


def servers(topology) -> list[RedisServer]:
    """Every redis-server of a ``SentinelPrimary`` topology, primary or not."""
    return [topology.primary, *topology.replicas]


def primary_server(topology) -> RedisServer:
    """The server the Sentinels name primary now."""
    port = topology.primary_port()
    return next(server for server in servers(topology) if server.port == port)


def switch(topology, how: str) -> tuple[RedisServer, RedisServer, float]:
    """Take the primary away (``kill``: SIGKILL, ``term``: SIGTERM, ``failover``: SENTINEL
    FAILOVER); return it, the replica promoted instead, and the moment it became primary."""
    old = primary_server(topology)
    others = [server for server in servers(topology) if server is not old]
    watch = PromotionWatch(others)
    if how == "failover":
        with redis.Redis("127.0.0.1", topology.sentinel_port,
                         password=topology.SENTINEL_PASSWORD) as sentinel:
            sentinel.sentinel_failover(topology.MASTER)
    else:
        getattr(old.process, "kill" if how == "kill" else "terminate")()
        old.process.wait(timeout=10)
    promoted_at = watch.wait()
    new = wait_until(lambda: _named_other_than(topology, old), timeout=30, what="a new primary")
    return old, new, promoted_at


def _named_other_than(topology, old: RedisServer) -> RedisServer | None:
    try:
        server = primary_server(topology)
    except (redis.RedisError, StopIteration):
        return None
    return server if server is not old else None


def replicas_online(primary: RedisServer) -> int:
    """How many replicas ``primary`` is streaming its writes to."""
    with primary.client(socket_timeout=1) as client:
        info = client.info("replication")
    return sum(1 for name, value in info.items()
               if name.startswith("slave") and isinstance(value, dict)
               and value.get("state") == "online")



@dataclass
class Claimed:
    """One claim by the asyncio store: when it was sent, its outcome (or error) and how long."""

    call_sid: str
    owner: str
    sent_at: float
    outcome: str
    seconds: float


class ClaimLoad:
    """An asyncio store (``open_async_store``) claiming ``call_sids``, ``rate`` a second, each in
    a task of its own, in a thread with its own event loop, as a media-stream handler would."""

    def __init__(self, settings: dict, call_sids: list[str], rate: int = 100) -> None:
        self.settings, self.call_sids, self.rate = settings, call_sids, rate
        self.claims: list[Claimed] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self.thread.start()

    async def _main(self) -> None:
        started, tasks = time.monotonic(), []
        async with open_async_store(self.settings) as store:
            for index, call_sid in enumerate(self.call_sids):
                await asyncio.sleep(max(0.0, started + index / self.rate - time.monotonic()))
                if self.stopping.is_set():
                    break
                tasks.append(asyncio.create_task(self._claim(store, call_sid, f"stream-{index}")))
            await asyncio.gather(*tasks)

    async def _claim(self, store, call_sid: str, owner: str) -> None:
        sent_at = time.monotonic()
        try:
            outcome = (await asyncio.wait_for(store.claim(call_sid, owner), 10)).outcome
        except (redis.RedisError, asyncio.TimeoutError) as exc:
            outcome = type(exc).__name__
        self.claims.append(Claimed(call_sid, owner, sent_at, outcome, time.monotonic() - sent_at))

    def stop(self) -> list[Claimed]:
        """Stop claiming; every claim, once all have an outcome."""
        self.stopping.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "claims still waiting 30 s after the last was sent"
        return sorted(self.claims, key=lambda claim: claim.sent_at)


def claims_missing(claims: list[Claimed], client: redis.Redis, keys: Keys = Keys()) -> list:
    """The claims answered ``claimed`` that ``client``'s server does not hold."""
    won = [claim for claim in claims if claim.outcome == "claimed"]
    pipe = client.pipeline(transaction=False)
    for claim in won:
        pipe.hget(keys.status(claim.call_sid), OWNER_FIELD)
    return [claim for claim, owner in zip(won, pipe.execute()) if owner != claim.owner]


class Forwarder:
    """A loopback port passing each new connection on to the port ``target`` names now, as a
    managed Redis's DNS name sends new connections to its current primary."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with source, sink:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()
