"""The call data as a library: key names, the call store, the lifecycle, the Redis connection.

No web framework here: the service, the CLI and outside processes (the media-stream handler)
all use this package. Importing it has no side effects.

    from burki_sip.calls import open_store

    store = open_store()                      # the REDIS_* settings, as the service reads them
    context = store.claim_context(call_sid)   # the context, to the first stream of the call only
    context = store.load_context(call_sid)    # read without claiming; None when absent or expired
    state, ttl = store.load_status(call_sid)  # the call's status hash, None when unknown
"""

from __future__ import annotations

from typing import Mapping

from .. import config as settings
from .connection import client_from_config
from .keys import Keys
from .store import CallStore, Lifetimes, Recorded, Transition, store_from_config

__all__ = ["CallStore", "Keys", "Lifetimes", "Recorded", "Transition", "open_store",
           "store_from_config"]


def open_store(environ: Mapping[str, str] | None = None) -> CallStore:
    """A ``CallStore`` configured from the environment exactly as the service configures its own.

    One server, a Redis Cluster or a Sentinel-managed primary, with TLS: see ``connection.py``.

    Raises:
        ValueError: a setting is invalid, or no ``REDIS_URL`` says which Redis to use.
    """
    config = settings.load(environ)
    return store_from_config(client_from_config(config), config)
