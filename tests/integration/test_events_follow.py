"""``burki-sip events status --follow`` as a real process: idle longer than the socket timeout,
and Redis going away and coming back."""

import os
import queue
import signal
import subprocess
import threading
import time

import pytest

from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore, Transition
from support import BIN

pytestmark = pytest.mark.integration

IDLE_SECONDS = 10


class Follower:
    """The console script following the status stream; its stdout lines arrive on a queue."""

    def __init__(self, redis_url: str) -> None:
        env = {**os.environ, "REDIS_URL": redis_url, "REDIS_SOCKET_TIMEOUT": "1"}
        self.process = subprocess.Popen([str(BIN / "burki-sip"), "events", "status", "--follow"],
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def next_line(self, timeout: float = 15) -> str:
        return self.lines.get(timeout=timeout)

    def stop(self) -> str:
        """SIGTERM, then everything it wrote to stderr."""
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=30)
        return stderr


def ringing(redis_client, call_sid: str) -> str:
    return CallStore(redis_client, Keys()).record_event(
        "status", {"call_sid": call_sid, "status": "ringing"}, "application/json", call_sid,
        transition=Transition("ringing")).event_id


def test_follow_stays_idle_for_longer_than_the_socket_timeout(redis_server, real_redis):
    follower = Follower(redis_server.url)
    time.sleep(IDLE_SECONDS)
    assert follower.process.poll() is None, follower.stop()

    event_id = ringing(real_redis, "after-idle")
    line = follower.next_line()
    stderr = follower.stop()

    assert line.startswith(f"{event_id} ") and " after-idle ringing " in line
    assert "Traceback" not in stderr and "Error" not in stderr


def test_follow_resumes_after_the_last_entry_when_redis_comes_back(own_redis_server):
    server = own_redis_server
    follower = None
    try:
        client = server.client()
        follower = Follower(server.url)
        time.sleep(1.5)  # it is following by now
        first = ringing(client, "before-outage")
        assert follower.next_line().startswith(first)
        server.stop()
        time.sleep(2)  # longer than the socket timeout: reads fail meanwhile
        server.start()  # same port, empty: the old entries are gone, new ids are later
        second = ringing(server.client(), "after-outage")
        line = follower.next_line(timeout=20)
        stderr = follower.stop()
        follower = None
    finally:
        if follower is not None:
            follower.stop()

    assert line.startswith(f"{second} ") and " after-outage " in line
    assert "Traceback" not in stderr
    assert "retrying in" in stderr  # the outage was noticed and waited out
