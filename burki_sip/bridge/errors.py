"""What can go wrong talking to the SIP bridge: ``BridgeError`` and ``BridgeConfigError``."""

from __future__ import annotations


class BridgeError(Exception):
    """The SIP bridge's API failed or answered with an error.

    Attributes:
        bridge_status: the bridge's HTTP status, or ``None`` when it never answered.
        bridge_message: the bridge's error message, truncated; ``None`` without one.
        attempts: how many requests were sent, retries included.
    """

    def __init__(self, message: str, status_code: int = 502, *, bridge_status: int | None = None,
                 bridge_message: str | None = None, attempts: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.bridge_status = bridge_status
        self.bridge_message = bridge_message
        self.attempts = attempts


class BridgeConfigError(BridgeError):
    """``SIP_BRIDGE_URL`` or ``SIP_BRIDGE_API_KEY`` is missing or invalid: nothing was sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 500)
