"""The SIP bridge's API: the sync client, the organization schema and the sync command."""

# Each attempt's timeouts and the retries: ``BridgeClient``'s defaults, which the sync command's
# options show (kept here, where the command reads them without importing requests).
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
RETRIES = 3
BACKOFF = 0.5
