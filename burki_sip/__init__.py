"""burki-sip: the backend side of the Burki SIP bridge.

``burki_sip.calls`` is the Flask-free core (call data in Redis); ``burki_sip.web`` the service on
it; ``burki_sip.bridge`` the bridge sync. ``create_app`` is imported lazily, so that importing the
core does not load the web layer.
"""

from __future__ import annotations

from typing import Any


def create_app(config: Any = None, redis_client: Any = None):
    """Build the web app; see ``burki_sip.web.app.create_app``."""
    from .web.app import create_app as build

    return build(config, redis_client)
