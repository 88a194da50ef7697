"""The service as the Procfile runs it, on a redis-server of the test's own."""

import pytest

from support import Gunicorn, RedisServer


@pytest.fixture
def redis_for_service():
    """A redis-server of this test's own, so the test may stop and restart it."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def service(redis_for_service):
    """gunicorn wsgi:app with 2 workers, pointed at ``redis_for_service``."""
    server = Gunicorn(redis_for_service.url, workers=2).start()
    yield server
    server.stop()
