"""Deprecated alias of ``burki_sip.calls`` for one release: ``from burki_sip.calls import open_store``."""

from __future__ import annotations

from .calls import CallStore, open_store

__all__ = ["CallStore", "open_store"]
