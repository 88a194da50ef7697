"""A Redis that hangs (SIGSTOP: the kernel still accepts, nothing answers) costs one request at
most REDIS_SOCKET_TIMEOUT: timeouts are never retried, on a pooled or on a new connection."""

import os
import signal
import time

import pytest

from burki_sip import create_app

pytestmark = pytest.mark.integration

TIMEOUT = 0.5
# Scheduling on a shared machine; a second attempt would take another whole TIMEOUT.
SLACK = 0.4
WRITES = [("/sip-prewarm", {"call_sid": "hang-1"}),
          ("/sip-webhook", {"event": "inbound_call", "call_sid": "hang-1"}),
          ("/sip-status", {"call_sid": "hang-1", "status": "ringing"})]


@pytest.mark.parametrize("warmed", [True, False], ids=["pooled-connection", "new-connection"])
def test_a_hanging_redis_costs_one_timeout_per_request(own_redis_server, warmed):
    app = create_app({"TESTING": True, "REDIS_URL": own_redis_server.url,
                      "REDIS_SOCKET_TIMEOUT": str(TIMEOUT)})
    client = app.test_client()
    if warmed:
        for path, body in WRITES:
            assert client.post(path, json=body).status_code == 200
    os.kill(own_redis_server.process.pid, signal.SIGSTOP)

    for path, body in WRITES:
        started = time.monotonic()
        response = client.post(path, json=body)
        elapsed = time.monotonic() - started
        assert response.status_code == 503 and response.headers["Retry-After"], path
        assert TIMEOUT <= elapsed < TIMEOUT + SLACK, (path, elapsed)
