"""Probes for load balancers and release steps: `/healthz` (up) and `/readyz` (Redis answers)."""

from __future__ import annotations

import redis
from redis.cluster import RedisCluster
from flask import Blueprint, Flask, current_app

from ..calls.connection import client_from_config, is_cluster
from .apidoc import doc
from .responses import HealthSchema

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
    """Redis answers a PING within ``REDIS_HEALTH_TIMEOUT`` (on a cluster: every primary does).

    When it does not, the Redis error handler answers 503 with a JSON ``error`` and counts it.
    """
    client = current_app.extensions[EXTENSION]
    if is_cluster(client):
        client.ping(target_nodes=RedisCluster.PRIMARIES)
    else:
        client.ping()
    return {"status": "ready"}


def init_app(app: Flask, redis_client: redis.Redis | None = None) -> None:
    """Keep the client ``/readyz`` pings: ``redis_client`` when given, else a small client of its
    own, of the same kind as the store's (one server, Cluster or Sentinel), whose timeouts are
    ``REDIS_HEALTH_TIMEOUT`` instead of the request ones."""
    if redis_client is None:
        redis_client = client_from_config(
            {**app.config, "REDIS_SOCKET_TIMEOUT": app.config["REDIS_HEALTH_TIMEOUT"]})
    app.extensions[EXTENSION] = redis_client
    app.register_blueprint(bp)
