"""The app's one ``CallStore``: created by ``init_app``, reached by views through ``get_store``."""

from __future__ import annotations

import redis
from flask import Flask, current_app

from ..calls.connection import client_from_config
from ..calls.store import CallStore, store_from_config

EXTENSION = "burki_sip"


def init_app(app: Flask, redis_client: redis.Redis | None = None) -> None:
    """Create the app's ``CallStore``, from ``redis_client`` or from the ``REDIS_*`` settings."""
    if redis_client is None:
        redis_client = client_from_config(app.config)
    app.extensions[EXTENSION] = store_from_config(redis_client, app.config)


def get_store() -> CallStore:
    """The current app's ``CallStore``."""
    return current_app.extensions[EXTENSION]
