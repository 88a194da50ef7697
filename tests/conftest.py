"""Fixtures: the app on a fresh fake Redis per test, and a real redis-server for the same tests."""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner
from fakeredis import FakeRedis, FakeServer

from burki_sip import create_app
from burki_sip.cli import Session, main
from burki_sip.calls.connection import is_cluster
from burki_sip.calls.keys import Keys
from burki_sip.calls.store import CallStore
from certs import make_certificates
from support import SEED_PREWARM, RedisServer, free_port
from topologies import ClusterServers, SentinelPrimary


@pytest.fixture
def seed_prewarm() -> dict:
    """A prewarm request with every field the bridge sends, as Burki's API reference shows it
    (a fresh copy, so a test may change it)."""
    return copy.deepcopy(SEED_PREWARM)


@pytest.fixture
def fake_redis():
    """A fake Redis with a server of its own, so no test sees another's data."""
    client = FakeRedis(server=FakeServer(), decode_responses=True)
    yield client
    client.close()


# One fixture per Redis topology: each gives the server(s) (with ``settings``, the environment a
# service uses to reach them, ``client()`` and ``async_client()``), and a flushed client of them.


def _running(server):
    try:
        yield server.start()
    finally:
        server.stop()


def _flushed(client, *also_close):
    client.flushdb()  # on a cluster: every primary
    yield client
    client.flushdb()
    for each in (client, *also_close):
        each.close()


@pytest.fixture(scope="session")
def redis_server():
    """One real redis-server for the session, on a free loopback port; stopped at the end."""
    yield from _running(RedisServer())


@pytest.fixture
def real_redis(redis_server):
    """A client of the session's redis-server, flushed before and after the test."""
    yield from _flushed(redis_server.client())


def _own_redis_server(request, tmp_path_factory):
    options = getattr(request, "param", ())
    yield from _running(RedisServer(None, *options, "--dir", str(tmp_path_factory.mktemp("redis"))))


@pytest.fixture
def own_redis_server(request, tmp_path_factory):
    """A redis-server of this test's own, which it may stop, restart or pause (SIGSTOP) without
    touching another test's data; its files (AOF, RDB) go to a directory of its own.

    Options other than the defaults come as a tuple of arguments:
    ``@pytest.mark.parametrize("own_redis_server", [("--appendonly", "yes")], indirect=True)``.
    """
    yield from _own_redis_server(request, tmp_path_factory)


@pytest.fixture(scope="module")
def module_redis_server(request, tmp_path_factory):
    """``own_redis_server`` shared by one module's tests: for a module-scoped service on it (a
    gunicorn boot a test would cost seconds), its data apart from the session's server."""
    yield from _own_redis_server(request, tmp_path_factory)


@pytest.fixture(scope="session")
def tls_certificates(tmp_path_factory):
    """A private CA and a certificate for 127.0.0.1 it signed, like a managed Redis's own."""
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def redis_tls(tls_certificates):
    """A redis-server with TLS on one port (``tls_url``) and plain TCP on another (to inspect)."""
    tls_port = free_port()
    server = RedisServer(None, "--tls-port", str(tls_port), "--tls-cert-file",
                         str(tls_certificates.cert), "--tls-key-file", str(tls_certificates.key),
                         "--tls-ca-cert-file", str(tls_certificates.ca), "--tls-auth-clients", "no")
    server.tls_url = f"rediss://127.0.0.1:{tls_port}/0"
    yield from _running(server)


@pytest.fixture
def tls_redis(redis_tls):
    """A plain client of the TLS server, flushed before and after the test."""
    yield from _flushed(redis_tls.client())


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A real 3-master Redis Cluster for the session, on loopback ports; stopped at the end."""
    yield from _running(ClusterServers(tmp_path_factory.mktemp("cluster")))


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory):
    """A real primary watched by a real Sentinel for the session; stopped at the end."""
    yield from _running(SentinelPrimary(tmp_path_factory.mktemp("sentinel")))


@pytest.fixture
def redis_replicated(tmp_path):
    """A primary with one replica under a Sentinel of this test's own (it fails them over)."""
    yield from _running(SentinelPrimary(tmp_path, replicas=1))


@pytest.fixture
def redis_failover(tmp_path):
    """One primary, two replicas and three Sentinels of this test's own (it fails them over).

    A failover-timeout of 2.5 s: Sentinel starts no automatic failover of the same primary
    within twice that of the last one, and a test may fail it over more than once.
    """
    yield from _running(SentinelPrimary(tmp_path, replicas=2, sentinels=3,
                                        failover_timeout_ms=2500))


@pytest.fixture
def cluster_redis(redis_cluster):
    """A cluster client of the session's Redis Cluster, flushed before and after the test."""
    yield from _flushed(redis_cluster.client())


@pytest.fixture
def sentinel_redis(redis_sentinel):
    """A client of the primary the session's Sentinel names, flushed before and after the test."""
    sentinel = redis_sentinel.sentinel()
    # The Sentinel's own connections (primary lookups) are not the client's to close.
    yield from _flushed(redis_sentinel.client(sentinel), *sentinel.sentinels)


REDIS_KINDS = ["fake"] + [pytest.param(kind, marks=pytest.mark.integration)
                          for kind in ("real", "cluster", "sentinel")]


@pytest.fixture(params=REDIS_KINDS)
def any_redis(request):
    """Each test using this runs on fakeredis, one redis-server, a Redis Cluster and Sentinel."""
    return request.getfixturevalue(f"{request.param}_redis")


SERVERS = {"real": "redis_server", "cluster": "redis_cluster", "sentinel": "redis_sentinel"}


@pytest.fixture(params=REDIS_KINDS[1:])
def topology(request):
    """(the server(s), a flushed sync client of them) on each real topology: one redis-server,
    a Redis Cluster and Sentinel. ``@pytest.mark.parametrize("topology", [...], indirect=True)``
    picks some of them."""
    return request.getfixturevalue(SERVERS[request.param]), request.getfixturevalue(
        f"{request.param}_redis")


@pytest.fixture
def app(fake_redis):
    """The app in testing mode on a fake Redis."""
    return create_app({"TESTING": True}, redis_client=fake_redis)


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def any_app(any_redis):
    """The app in testing mode on each kind of ``any_redis`` (the test runs once for each)."""
    return create_app({"TESTING": True}, redis_client=any_redis)


@pytest.fixture
def any_client(any_app):
    """A test client of ``any_app``."""
    return any_app.test_client()


class StoreRunner(CliRunner):
    """Runs ``burki-sip`` commands on a given store instead of one opened from the settings."""

    def __init__(self, store: CallStore) -> None:
        super().__init__()
        self.session = Session(store)

    def invoke(self, cli=main, args=None, **kwargs):
        return super().invoke(cli, args, obj=self.session, **kwargs)


@pytest.fixture
def runner(app):
    """A CLI runner of the ``burki-sip`` commands on ``app``'s store."""
    return StoreRunner(app.extensions["burki_sip"])


@pytest.fixture
def any_runner(any_app):
    """A CLI runner of the ``burki-sip`` commands on ``any_app``'s store."""
    return StoreRunner(any_app.extensions["burki_sip"])


@pytest.fixture
def keys() -> Keys:
    """Key names under the default prefix."""
    return Keys()


@pytest.fixture
def store(any_redis, keys) -> CallStore:
    """A ``CallStore`` on every kind of ``any_redis`` (the test runs once for each)."""
    store = CallStore(any_redis, keys, events_maxlen=100,
                      streams_in_script=not is_cluster(any_redis))
    yield store
    store.close()


@pytest.fixture
def client_of_real(real_redis):
    """A test client of the app on the session's real redis-server."""
    return create_app({"TESTING": True}, redis_client=real_redis).test_client()


# Measured figures (CLI start-up, ...) the tests record: printed at the end of the run, not asserted.
FIGURES: list[str] = []


@pytest.fixture
def record_figure():
    """``record_figure("what: value")`` adds a line to the summary at the end of the run."""
    return FIGURES.append


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("measured")
        for line in FIGURES:
            terminalreporter.write_line(line)
