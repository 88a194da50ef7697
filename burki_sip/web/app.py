"""The application factory: the web layer on the call store."""

from __future__ import annotations

from typing import Any, Mapping

import redis
from flask import Flask

from ..config import check, defaults, from_env
from . import (auth, console, errors, extension, health, limits, metrics, openapi, redaction,
               sip, telemetry)
from . import claims, erasures  # noqa: F401  (their routes join sip.bp on import, before it is
#                                    registered)
from .payload import MAX_FORM_PARTS


class App(Flask):
    """Flask, answering ``OPTIONS`` with ``204`` and ``Allow`` but no body, not an empty HTML page."""

    def make_default_options_response(self):
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


def create_app(config: Mapping[str, Any] | None = None,
               redis_client: redis.Redis | None = None) -> Flask:
    """Build the app: defaults, then the environment (or ``config`` instead of it), then checks
    (``ValueError`` names a bad setting); ``redis_client`` instead of connecting to ``REDIS_URL``.
    """
    app = App("burki_sip")
    app.config.from_mapping(defaults())
    given = from_env() if config is None else config
    app.config.update(given)
    check(app.config)
    # werkzeug's form limits are Flask config keys, not settings: a text field is bounded by the
    # body's limit. A test's ``config`` may still set them.
    app.config["MAX_FORM_MEMORY_SIZE"] = given.get("MAX_FORM_MEMORY_SIZE",
                                                   app.config["MAX_CONTENT_LENGTH"])
    app.config["MAX_FORM_PARTS"] = given.get("MAX_FORM_PARTS", MAX_FORM_PARTS)
    app.json.sort_keys = False

    telemetry.init_app(app)
    limits.init_app(app)
    redaction.init_app(app)
    errors.init_app(app)
    extension.init_app(app, redis_client)
    app.extensions[extension.EXTENSION].on_claim = metrics.claim_answered
    auth.init_app(app)
    api = openapi.init_app(app)
    for blueprint in (sip.bp, health.bp, metrics.bp):  # their routes are in the document
        api.register_blueprint(blueprint)
    health.init_app(app, redis_client)
    console.init_app(app)
    return app
