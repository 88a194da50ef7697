"""The service as the Procfile runs it, on a redis-server of the test's own.

``service`` runs gunicorn.conf.py's worker class (gevent); a test that must hold under gunicorn's
other stock classes too says so with ``@EVERY_WORKER_CLASS`` (indirect parametrisation of
``service``), which picks them as a user does, with gunicorn's own ``GUNICORN_CMD_ARGS``.
"""

import pytest

from support import Gunicorn

# gunicorn's stock classes, by the command-line arguments that pick them (docs/deploy.md).
WORKER_CLASSES = {"gevent": "", "sync": "--worker-class sync",
                  "gthread": "--worker-class gthread --threads 4"}
EVERY_WORKER_CLASS = pytest.mark.parametrize("service", WORKER_CLASSES, indirect=True)


def worker_class_env(name: str) -> dict:
    """The environment that runs gunicorn's stock worker class ``name``."""
    return {"GUNICORN_CMD_ARGS": WORKER_CLASSES[name]} if WORKER_CLASSES[name] else {}


@pytest.fixture
def service(request, own_redis_server):
    """gunicorn wsgi:app with 2 workers, pointed at ``own_redis_server`` (the test's own, so it
    may stop and restart it), of the worker class named by the parameter (gunicorn.conf.py's own
    when not parametrised)."""
    server = Gunicorn(own_redis_server.url, workers=2,
                      **worker_class_env(getattr(request, "param", "gevent"))).start()
    yield server
    server.stop()
