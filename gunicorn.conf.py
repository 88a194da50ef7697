"""Gunicorn settings for ``web: gunicorn wsgi:app`` (Procfile), read from the environment."""

import os

from burki_sip.devredis import resolve_redis_url

# Heroku sets PORT and binds every interface; `make run` sets HOST=127.0.0.1.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# Heroku's router gives a dyno 30 s to stop after SIGTERM; drain in-flight requests well before.
graceful_timeout = 20
timeout = 30
keepalive = 5
# gunicorn 27's control socket defaults to one path under $HOME, which several instances on one
# machine (tests, benchmarks, dynos sharing a home) would fight over; nothing here uses it.
control_socket_disable = True


def on_starting(server):
    """Pick the Redis once, in the master, so every worker shares the same one."""
    os.environ["REDIS_URL"] = resolve_redis_url(os.environ, server.log)
