"""A Redis Cluster losing a master: its calls get 503 at once, the rest depends on the cluster's
``cluster-require-full-coverage``, and the service recovers when the master returns."""

import gc

import pytest

from burki_sip import create_app
from burki_sip.calls.keys import Keys
from support import wait_until
from topologies import ClusterServers

pytestmark = [
    pytest.mark.integration,
    # redis-py's cluster client leaves a node connection to the garbage collector when it re-reads
    # the slot map after nodes came back; service_on collects it while these filters apply.
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
]


def own_cluster(directory, *extra_args):
    # A short node timeout: the other masters agree sooner that a stopped one has failed.
    return ClusterServers(directory, 3, "--cluster-node-timeout", "1000", *extra_args).start()


@pytest.fixture
def partial_cluster(tmp_path):
    """A cluster that keeps serving the slots it still has (``cluster-require-full-coverage no``)."""
    cluster = own_cluster(tmp_path, "--cluster-require-full-coverage", "no")
    yield cluster
    cluster.stop()


@pytest.fixture
def default_cluster(tmp_path):
    """A cluster with Redis's default: no answers at all while any slot is uncovered."""
    cluster = own_cluster(tmp_path)
    yield cluster
    cluster.stop()


@pytest.fixture
def service_on():
    """Makes a test client of the app on a cluster; closes the app's clients afterwards."""
    apps = []

    def make(cluster):
        apps.append(create_app({"TESTING": True, "REDIS_URL": cluster.url,
                                "REDIS_CLUSTER": "true"}))
        return apps[-1].test_client()

    yield make
    for app in apps:
        app.extensions["burki_sip"].client.close()
        app.extensions["burki_sip.health"].close()
    gc.collect()


def call_sids_by_port(client, count: int = 60) -> dict[int, list[str]]:
    """Call ids grouped by the port of the master that holds their keys."""
    owners: dict[int, list[str]] = {}
    for number in range(count):
        call_sid = f"call-{number}"
        node = client.get_node_from_key(Keys().context(call_sid))
        owners.setdefault(node.port, []).append(call_sid)
    client.close()
    return owners


def prewarm(http, call_sid):
    return http.post("/sip-prewarm", json={"call_sid": call_sid})


def agreed_failed(cluster, lost) -> bool:
    """The other masters have marked ``lost`` as failed (after cluster-node-timeout)."""
    probe = cluster.nodes[0].client(socket_timeout=0.5)
    try:
        flags = probe.execute_command("CLUSTER NODES")[f"127.0.0.1:{lost.port}"]["flags"].split(",")
        return "fail" in flags  # not just "fail?", which one node's suspicion is
    finally:
        probe.close()


def test_losing_a_master_fails_only_its_calls_then_recovers(partial_cluster, service_on):
    http = service_on(partial_cluster)
    owners = call_sids_by_port(partial_cluster.client())
    lost, kept = partial_cluster.nodes[1], partial_cluster.nodes[0]

    lost.stop()
    on_lost = prewarm(http, owners[lost.port][0])
    assert on_lost.status_code == 503 and on_lost.headers["Retry-After"]
    assert on_lost.json == {"error": "storage unavailable, retry later"}
    assert http.get("/readyz").status_code == 503  # PING asks every primary

    wait_until(lambda: agreed_failed(partial_cluster, lost), timeout=30, what="master marked fail")
    assert prewarm(http, owners[kept.port][0]).status_code == 200

    lost.start()  # same port and nodes.conf: it takes its slots back
    wait_until(lambda: prewarm(http, owners[lost.port][1]).status_code == 200, timeout=30,
               interval=0.2, what="the returning master's calls succeeding")
    assert http.get("/readyz").status_code == 200


def test_by_default_a_lost_master_stops_every_call_until_it_returns(default_cluster, service_on):
    http = service_on(default_cluster)
    owners = call_sids_by_port(default_cluster.client())
    lost, kept = default_cluster.nodes[1], default_cluster.nodes[0]

    lost.stop()
    wait_until(lambda: agreed_failed(default_cluster, lost), timeout=30, what="master marked fail")
    assert prewarm(http, owners[kept.port][0]).status_code == 503  # CLUSTERDOWN

    default_cluster.stop()
    # With no node at all, redis-py raises RedisClusterException, which is not a RedisError.
    down = prewarm(http, "c1")
    assert down.status_code == 503 and down.json["error"] == "storage unavailable, retry later"

    default_cluster.start_nodes()
    wait_until(lambda: prewarm(http, "c1").status_code == 200, timeout=30, interval=0.2,
               what="prewarm succeeding again")
