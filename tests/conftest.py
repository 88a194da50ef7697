"""Fixtures: the app on a fresh fake Redis per test, and a real redis-server for the same tests."""

from __future__ import annotations

import copy

import pytest
from fakeredis import FakeRedis, FakeServer

from burki_sip import create_app
from burki_sip.keys import Keys
from burki_sip.store import CallStore
from support import SEED_PREWARM, RedisServer


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
    client = redis_server.client()
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.integration)])
def any_redis(request):
    """Each test using this runs twice: on fakeredis and on a real redis-server."""
    return request.getfixturevalue("fake_redis" if request.param == "fake" else "real_redis")


@pytest.fixture
def app(fake_redis):
    """The app in testing mode on a fake Redis."""
    return create_app({"TESTING": True}, redis_client=fake_redis)


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of ``app``'s commands."""
    return app.test_cli_runner()


@pytest.fixture
def keys() -> Keys:
    """Key names under the default prefix."""
    return Keys()


@pytest.fixture
def store(any_redis, keys) -> CallStore:
    """A ``CallStore`` on fake and on real Redis (the test runs once for each)."""
    return CallStore(any_redis, keys, events_maxlen=100)


@pytest.fixture
def client_of_real(real_redis):
    """A test client of the app on the session's real redis-server."""
    return create_app({"TESTING": True}, redis_client=real_redis).test_client()
