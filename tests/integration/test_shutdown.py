"""SIGTERM (what Heroku sends a dyno before it stops it) drains the requests in flight."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from support import Gunicorn, RedisServer, gunicorn_setting, wait_until

pytestmark = pytest.mark.integration

WORKERS = 2
PAUSE_MS = 2500  # how long Redis holds every write, so the requests are in flight at SIGTERM
HEROKU_STOP_SECONDS = 30  # SIGKILL follows SIGTERM after this long (see also test_deploy.py)


@pytest.fixture
def redis_to_pause():
    """A redis-server of this test's own: the test pauses it."""
    server = RedisServer().start()
    yield server
    server.stop()


def test_sigterm_lets_requests_in_flight_finish(redis_to_pause):
    # Redis may be held up longer than its default timeout here; the point is the shutdown.
    service = Gunicorn(redis_to_pause.url, workers=WORKERS, REDIS_SOCKET_TIMEOUT="10")
    service.start(own_process_group=True)
    admin = redis_to_pause.client()
    try:
        admin.client_pause(PAUSE_MS, all=False)  # writes wait; reads (and this client) do not
        with ThreadPoolExecutor(WORKERS) as pool:
            calls = [pool.submit(requests.post, f"{service.url}/sip-prewarm",
                                 json={"call_sid": f"drain-{n}"}, timeout=20)
                     for n in range(WORKERS)]
            # One request per worker, each blocked in its SET, before the signal.
            wait_until(lambda: admin.info("clients")["blocked_clients"] == WORKERS, timeout=10,
                       what="every worker waiting on Redis")
            signalled = time.monotonic()
            # As Heroku stops a dyno: SIGTERM to every process in it, master and workers alike.
            os.killpg(service.process.pid, signal.SIGTERM)
            responses = [call.result() for call in calls]
        service.process.wait(timeout=HEROKU_STOP_SECONDS)
        stopped_after = time.monotonic() - signalled
    finally:
        output = service.stop()

    assert [response.status_code for response in responses] == [200] * WORKERS
    assert all(admin.exists(f"burki:sip:call:{{drain-{n}}}:context") for n in range(WORKERS))
    assert stopped_after < gunicorn_setting("graceful_timeout"), output
    assert "Handling signal: term" in output and "Shutting down: Master" in output
    admin.close()
