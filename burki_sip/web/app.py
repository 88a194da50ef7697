"""The application factory: the web layer on the call store."""

from __future__ import annotations

from typing import Any, Mapping

import redis
from flask import Flask

from .. import redact
from ..config import check, defaults, from_env
from . import (auth, console, errors, extension, health, limits, metrics, openapi, sip,
               telemetry)
from . import claims  # noqa: F401  (its routes join sip.bp on import, before it is registered)


class App(Flask):
    """Flask, answering ``OPTIONS`` with ``204`` and ``Allow`` but no body, not an empty HTML page."""

    def make_default_options_response(self):
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


def create_app(config: Mapping[str, Any] | None = None,
               redis_client: redis.Redis | None = None) -> Flask:
    """Build the app: defaults, then the environment (or ``config`` instead of it), then checks.

    Args:
        config: settings to use instead of the environment (tests pass these).
        redis_client: a client to use instead of connecting to ``REDIS_URL``.

    Raises:
        ValueError: a setting is invalid; the message names it.
    """
    app = App("burki_sip")
    app.config.from_mapping(defaults())
    app.config.update(from_env() if config is None else config)
    check(app.config)
    app.json.sort_keys = False

    telemetry.init_app(app)
    limits.init_app(app)
    redact.init_app(app)
    errors.init_app(app)
    extension.init_app(app, redis_client)
    auth.init_app(app)
    app.register_blueprint(sip.bp)
    health.init_app(app, redis_client)
    app.register_blueprint(metrics.bp)
    openapi.init_app(app)
    console.init_app(app)
    return app
