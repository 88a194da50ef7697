"""burki-sip: the backend side of the Burki SIP bridge."""

from __future__ import annotations

from typing import Any, Mapping

import redis
from flask import Flask

from . import auth, bench, cli, errors, health, metrics, openapi, redact, sip, store, telemetry
from .config import check, defaults, from_env
from .limits import BoundedRequest


def create_app(config: Mapping[str, Any] | None = None,
               redis_client: redis.Redis | None = None) -> Flask:
    """Build the app: defaults, then the environment (or ``config`` instead of it), then checks.

    Args:
        config: settings to use instead of the environment (tests pass these).
        redis_client: a client to use instead of connecting to ``REDIS_URL``.

    Raises:
        ValueError: a setting is invalid; the message names it.
    """
    app = Flask(__name__)
    app.request_class = BoundedRequest
    app.config.from_mapping(defaults())
    app.config.update(from_env() if config is None else config)
    check(app.config)
    app.json.sort_keys = False

    telemetry.init_app(app)
    redact.init_app(app)
    errors.init_app(app)
    store.init_app(app, redis_client)
    cli.init_app(app)
    auth.init_app(app)
    app.register_blueprint(sip.bp)
    health.init_app(app, redis_client)
    app.register_blueprint(metrics.bp)
    openapi.init_app(app)
    bench.init_app(app)
    return app
