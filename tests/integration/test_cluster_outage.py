"""A Redis Cluster losing a master: only the calls in its slots wait, and the service recovers."""

import pytest

from burki_sip import create_app
from burki_sip.keys import Keys
from support import wait_until
from topologies import ClusterServers

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster(tmp_path):
    """A cluster of this test's own: the test stops one of its masters."""
    servers = ClusterServers(tmp_path)
    try:
        yield servers.start()
    finally:
        servers.stop()


def call_sids_by_port(client, count: int = 60) -> dict[int, list[str]]:
    """Call ids grouped by the port of the master that holds their keys."""
    owners: dict[int, list[str]] = {}
    for number in range(count):
        call_sid = f"call-{number}"
        node = client.get_node_from_key(Keys().context(call_sid))
        owners.setdefault(node.port, []).append(call_sid)
    return owners


def test_losing_a_master_fails_only_its_calls_then_recovers(cluster):
    app = create_app({"TESTING": True, "REDIS_URL": cluster.url, "REDIS_CLUSTER": "true"})
    http = app.test_client()
    owners = call_sids_by_port(cluster.client())
    lost, kept = cluster.nodes[1], cluster.nodes[0]

    lost.stop()
    on_lost = http.post("/sip-prewarm", json={"call_sid": owners[lost.port][0]})
    on_kept = http.post("/sip-prewarm", json={"call_sid": owners[kept.port][0]})

    assert on_lost.status_code == 503 and on_lost.headers["Retry-After"]
    assert on_lost.json == {"error": "storage unavailable, retry later"}
    assert on_kept.status_code == 200

    lost.start()  # same port and nodes.conf: it takes its slots back
    again = owners[lost.port][1]
    wait_until(lambda: http.post("/sip-prewarm", json={"call_sid": again}).status_code == 200,
               timeout=30, interval=0.2, what="the returning master's calls succeeding")


def test_losing_every_master_is_a_503_too(cluster):
    app = create_app({"TESTING": True, "REDIS_URL": cluster.url, "REDIS_CLUSTER": "true"})
    http = app.test_client()
    assert http.post("/sip-prewarm", json={"call_sid": "c1"}).status_code == 200

    cluster.stop()
    # redis-py then raises RedisClusterException, which is not a RedisError.
    down = http.post("/sip-prewarm", json={"call_sid": "c1"})
    assert down.status_code == 503 and down.json["error"] == "storage unavailable, retry later"

    cluster.start_nodes()
    wait_until(lambda: http.post("/sip-prewarm", json={"call_sid": "c1"}).status_code == 200,
               timeout=30, interval=0.2, what="prewarm succeeding again")
