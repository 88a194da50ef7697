"""Probes for load balancers and release steps: `/healthz` (up) and `/readyz` (Redis takes writes).

Ready means a prewarm would be stored. Redis answers PING but refuses writes at ``maxmemory`` with
``noeviction``, after a failed save, as a read-only replica or short of ``min-replicas-to-write``;
so ``/readyz`` writes one tiny key with a TTL (``Keys.health``), and any refusal answers 503.
The write is marked as every store write is (``drivers.written``): with ``REDIS_ACK_REPLICAS``
it waits for the replicas too, so ``/readyz`` is 503 while they would not acknowledge a prewarm.
"""

from __future__ import annotations

import redis
from redis.cluster import RedisCluster
from flask import Flask, current_app
from marshmallow import Schema, fields, validate

from ..calls.connection import client_from_config, is_cluster
from ..calls.drivers import Acks, Work, run, written
from ..calls.keys import Keys
from .blueprint import Blueprint, errors

bp = Blueprint("health", __name__)

EXTENSION = "burki_sip.health"
HEALTH_KEY_TTL_MS = 10_000
# Seconds /readyz waits for Redis to answer, besides the wait for replicas every write has: a
# probe must answer well within a load balancer's own timeout, whatever REDIS_SOCKET_TIMEOUT
# allows the requests.
HEALTH_TIMEOUT = 0.5


class HealthSchema(Schema):
    """The answer of ``/healthz`` and ``/readyz`` when all is well."""

    status = fields.String(required=True, validate=validate.OneOf(("ok", "ready")))


@bp.get("/healthz")
@bp.response(200, HealthSchema)
def healthz():
    """The process is up and answering; Redis is not consulted."""
    return {"status": "ok"}


@bp.get("/readyz")
@bp.response(200, HealthSchema)
@errors(503)
def readyz():
    """Redis takes a write within ``HEALTH_TIMEOUT``, acknowledged as a prewarm's must be (on a
    cluster: every primary answers PING)."""
    client, config = current_app.extensions[EXTENSION], current_app.config
    if is_cluster(client):
        client.ping(target_nodes=RedisCluster.PRIMARIES)
    run(_write_health_key(Keys(config["REDIS_KEY_PREFIX"])), client, Acks.from_config(config))
    return {"status": "ready"}


def _write_health_key(keys: Keys) -> Work[None]:
    yield written(lambda client: client.set(keys.health(), "1", px=HEALTH_KEY_TTL_MS))


def init_app(app: Flask, redis_client: redis.Redis | None = None) -> None:
    """Keep the client ``/readyz`` writes with: ``redis_client``, else one like the store's whose
    timeouts are ``HEALTH_TIMEOUT`` plus the writes' wait for replicas. The factory registers
    ``bp``."""
    if redis_client is None:
        acks = Acks.from_config(app.config)
        timeout = HEALTH_TIMEOUT + (acks.timeout_ms / 1000 if acks.replicas else 0)
        redis_client = client_from_config({**app.config, "REDIS_SOCKET_TIMEOUT": timeout})
    app.extensions[EXTENSION] = redis_client
