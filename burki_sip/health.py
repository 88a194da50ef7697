"""Probes for load balancers and release steps: `/healthz` (up) and `/readyz` (Redis answers)."""

from __future__ import annotations

import redis
from flask import Blueprint, Flask, current_app

from .apidoc import doc
from .responses import HealthSchema
from .store import connect

bp = Blueprint("health", __name__)

EXTENSION = "burki_sip.health"


@bp.get("/healthz")
@doc({200: HealthSchema}, tags=("operations",))
def healthz():
    """The process is up and answering; Redis is not consulted."""
    return {"status": "ok"}


@bp.get("/readyz")
@doc({200: HealthSchema}, errors=(503,), tags=("operations",))
def readyz():
    """Redis answers a PING within ``REDIS_HEALTH_TIMEOUT``.

    When it does not, the Redis error handler answers 503 with a JSON ``error`` and counts it.
    """
    current_app.extensions[EXTENSION].ping()
    return {"status": "ready"}


def init_app(app: Flask, redis_client: redis.Redis | None = None) -> None:
    """Keep the client ``/readyz`` pings: ``redis_client`` when given, else a small client of its
    own on ``REDIS_URL`` whose timeouts are ``REDIS_HEALTH_TIMEOUT`` instead of the request ones."""
    if redis_client is None:
        url = app.config["REDIS_URL"] or "redis://localhost:6379/0"
        redis_client = connect(url, app.config["REDIS_HEALTH_TIMEOUT"])
    app.extensions[EXTENSION] = redis_client
    app.register_blueprint(bp)
