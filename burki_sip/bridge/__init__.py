"""The SIP bridge's API: the client's defaults and its errors, importable without requests."""

from __future__ import annotations

# ``BridgeClient``'s defaults, which the sync command's options show.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
RETRIES = 3
BACKOFF = 0.5


class BridgeError(Exception):
    """The SIP bridge's API failed or answered with an error (attributes: docs/bridge-sync.md)."""

    status_code = 502  # of an API request that needed the bridge

    def __init__(self, message: str, *, bridge_status: int | None = None,
                 bridge_message: str | None = None, attempts: int = 0) -> None:
        super().__init__(message)
        self.message, self.bridge_status = message, bridge_status
        self.bridge_message, self.attempts = bridge_message, attempts


class BridgeConfigError(BridgeError):
    """``SIP_BRIDGE_URL`` or ``SIP_BRIDGE_API_KEY`` is missing or invalid: nothing was sent."""

    status_code = 500
