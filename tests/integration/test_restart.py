"""One Redis with the persistence docs/deploy.md recommends (AOF, fsync every second) crashes and
restarts under load: nothing answered 200 is lost."""

from __future__ import annotations

import time

import pytest

from failover_support import Load, lost
from support import Gunicorn

pytestmark = pytest.mark.integration

AOF_EVERYSEC = ("--appendonly", "yes", "--appendfsync", "everysec")


@pytest.mark.parametrize("own_redis_server", [AOF_EVERYSEC], indirect=True, ids=["aof-everysec"])
def test_aof_everysec_keeps_every_200_across_a_crash_and_restart(own_redis_server, record_figure):
    server = own_redis_server
    service = Gunicorn(server.url, workers=2).start()
    try:
        load = Load(service.port, "restart")
        time.sleep(1)
        server.process.kill()  # SIGKILL: no shutdown, no last fsync
        server.process.wait(timeout=10)
        time.sleep(1)
        server.start()
        back = time.monotonic()
        try:
            load.wait_all_ok(since=back)
        finally:
            answered = load.stop()
        missing = lost(answered, server.client())
    finally:
        service.stop()

    statuses = {sent.status for sent in answered}
    assert statuses <= {200, 503}, statuses
    assert all(sent.retry_after for sent in answered if sent.status == 503)
    stored = sum(sent.status == 200 for sent in answered)
    record_figure(f"restart, AOF everysec, SIGKILL: {stored} answered 200, {len(missing)} lost")
    assert stored and missing == []
