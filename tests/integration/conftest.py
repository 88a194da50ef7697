"""The service as the Procfile runs it, on a redis-server of the test's own.

``service`` runs gunicorn.conf.py's default worker class; a test that must hold under every
class says so with ``@EVERY_WORKER_CLASS`` (indirect parametrisation of ``service``).
"""

import pytest

from support import Gunicorn, RedisServer

WORKER_CLASSES = ("gevent", "sync", "gthread")
EVERY_WORKER_CLASS = pytest.mark.parametrize("service", WORKER_CLASSES, indirect=True)


@pytest.fixture
def redis_for_service():
    """A redis-server of this test's own, so the test may stop and restart it."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def service(request, redis_for_service):
    """gunicorn wsgi:app with 2 workers, pointed at ``redis_for_service``; the worker class is
    ``WEB_WORKER_CLASS`` when parametrised, else gunicorn.conf.py's default."""
    worker_class = getattr(request, "param", None)
    env = {"WEB_WORKER_CLASS": worker_class} if worker_class else {}
    server = Gunicorn(redis_for_service.url, workers=2, **env).start()
    yield server
    server.stop()
