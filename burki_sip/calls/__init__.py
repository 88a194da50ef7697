"""The call data as a library: key names, the call stores, the lifecycle, the Redis connection.

No web framework here: the service, the CLI and outside processes (the media-stream handler)
all use this package. Importing it has no side effects and opens no connection. The README's
"For the media-stream handler" shows ``open_store`` and ``open_async_store`` in use.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from .. import config as settings
from .async_connection import async_client_from_config
from .async_store import AsyncCallStore, async_store_from_config
from .claims import ALREADY_CLAIMED, CLAIMED, MISSING, Claim
from .connection import client_from_config
from .keys import Keys
from .store import CallStore, Lifetimes, Recorded, Transition, store_from_config

__all__ = ["ALREADY_CLAIMED", "CLAIMED", "MISSING", "AsyncCallStore", "CallStore", "Claim", "Keys",
           "Lifetimes", "Recorded", "Transition", "open_async_store", "open_store",
           "store_from_config"]


def _settings(environ: Mapping[str, str] | None, url: str | None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    if url is not None:
        environ["REDIS_URL"] = url
    return settings.load(environ)


def open_store(environ: Mapping[str, str] | None = None, *, url: str | None = None,
               client: Any = None) -> CallStore:
    """A ``CallStore`` configured from ``environ`` (default ``os.environ``) exactly as the
    service configures its own (``connection.py``); ``url`` instead of ``REDIS_URL`` (the other
    ``REDIS_*`` settings apply), or a redis-py ``client`` (``decode_responses=True``) to use.

    Raises:
        ValueError: a setting is invalid, or no ``REDIS_URL`` says which Redis to use.
    """
    config = _settings(environ, url)
    return store_from_config(client if client is not None else client_from_config(config), config)


def open_async_store(environ: Mapping[str, str] | None = None, *, url: str | None = None,
                     client: Any = None, max_connections: int | None = None) -> AsyncCallStore:
    """An ``AsyncCallStore`` on ``redis.asyncio``, as ``open_store`` (a ``client`` is a
    ``redis.asyncio`` one); ``max_connections`` to one server (default
    ``connection.MAX_CONNECTIONS``): more concurrent calls wait for a free one."""
    config = _settings(environ, url)
    if client is None:
        sized = {"max_connections": max_connections} if max_connections else {}
        client = async_client_from_config(config, **sized)
    return async_store_from_config(client, config)
