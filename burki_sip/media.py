"""For the media-stream handler: read and claim call context from the Redis this service writes.

    from burki_sip.media import open_store

    store = open_store()                  # the REDIS_* settings, as the service reads them
    context = store.claim_context(call_sid)   # the context, to the first stream of the call only
    context = store.load_context(call_sid)    # read without claiming; None when absent or expired
    state, ttl = store.load_status(call_sid)  # the call's status hash, None when unknown
"""

from __future__ import annotations

from typing import Mapping

from .config import check, defaults, from_env
from .connection import client_from_config
from .store import CallStore, store_from_config


def open_store(environ: Mapping[str, str] | None = None) -> CallStore:
    """A ``CallStore`` configured from the environment exactly as the service configures its own.

    One server, a Redis Cluster or a Sentinel-managed primary, with TLS: see ``connection.py``.
    """
    config = {**defaults(), **from_env(environ)}
    check(config)
    return store_from_config(client_from_config(config), config)
