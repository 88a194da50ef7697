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
from support import SEED_PREWARM, RedisServer
from topologies import ClusterServers, SentinelPrimary


@pytest.fixture
def seed_prewarm() -> dict:
    """The seed page's example prewarm request (a fresh copy)."""
    return copy.deepcopy(SEED_PREWARM)


@pytest.fixture
def fake_redis():
    """A fake Redis with a server of its own, so no test sees another's data."""
    client = FakeRedis(server=FakeServer(), decode_responses=True)
    yield client
    client.close()


@pytest.fixture(scope="session")
def redis_server():
    """One real redis-server for the session, on a free loopback port; stopped at the end."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def real_redis(redis_server):
    """A client of the session's redis-server, flushed before and after the test."""
    with redis_server.flushed_client() as client:
        yield client


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A real 3-master Redis Cluster for the session, on loopback ports; stopped at the end."""
    cluster = ClusterServers(tmp_path_factory.mktemp("cluster"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory):
    """A real primary watched by a real Sentinel for the session; stopped at the end."""
    setup = SentinelPrimary(tmp_path_factory.mktemp("sentinel"))
    try:
        yield setup.start()
    finally:
        setup.stop()


def _flushed(client, *also_close):
    client.flushdb()  # on a cluster: every primary
    yield client
    client.flushdb()
    for each in (client, *also_close):
        each.close()


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


@pytest.fixture
def app(fake_redis):
    """The app in testing mode on a fake Redis."""
    return create_app({"TESTING": True}, redis_client=fake_redis)


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


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
def keys() -> Keys:
    """Key names under the default prefix."""
    return Keys()


@pytest.fixture
def store(any_redis, keys) -> CallStore:
    """A ``CallStore`` on every kind of ``any_redis`` (the test runs once for each)."""
    return CallStore(any_redis, keys, events_maxlen=100, streams_in_script=not is_cluster(any_redis))


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
