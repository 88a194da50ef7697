"""The SIP bridge's API: the sync client, the organization schema and the sync command."""
