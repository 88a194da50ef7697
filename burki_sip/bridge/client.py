"""The SIP bridge's API: ``BridgeClient`` syncs an organization's config, retrying safely."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .. import credentials
from . import (BACKOFF, CONNECT_TIMEOUT, READ_TIMEOUT, RETRIES, BridgeConfigError, BridgeError,
               failure, metrics)
from .organization import validate_organization

log = logging.getLogger(__name__)

SYNC_PATH = "/api/sync-organization"
# Longest single wait between two attempts, whether backoff or the bridge's Retry-After.
MAX_WAIT = 30


def canonical_json(config: dict) -> bytes:
    """The one byte form of a config: sorted keys, no spaces, UTF-8."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


class CountingRetry(Retry):
    """urllib3's ``Retry`` that notes, on the error it gives up with, how many attempts it made."""

    def increment(self, *args, **kwargs) -> Retry:
        try:
            return super().increment(*args, **kwargs)
        except Exception as exc:  # MaxRetryError, or the error itself when it is not retryable
            exc.attempts = len(self.history) + 1
            raise


class BridgeClient:
    """Talks to one SIP bridge over one pooled ``requests.Session`` (docs/bridge-sync.md); the
    API key is never written to a message or a log."""

    def __init__(self, base_url: str | None, api_key: str | None,
                 connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                 retries: int = RETRIES, backoff: float = BACKOFF,
                 max_wait: int = MAX_WAIT) -> None:
        if not base_url:
            raise BridgeConfigError("SIP_BRIDGE_URL is not set: set it to the bridge's base URL, "
                                    "e.g. https://bridge.example.com")
        try:
            credentials.base_url(base_url)
        except ValueError as exc:
            raise BridgeConfigError(f"SIP_BRIDGE_URL: {exc}") from exc
        if not api_key:
            raise BridgeConfigError("SIP_BRIDGE_API_KEY is not set: set it to the key the "
                                    "bridge expects as Authorization: Bearer")
        self.url = base_url.rstrip("/") + SYNC_PATH
        self.timeout = (connect_timeout, read_timeout)
        self._api_key = api_key
        retry = CountingRetry(
            total=retries, backoff_factor=backoff, backoff_jitter=backoff, backoff_max=max_wait,
            retry_after_max=max_wait, status_forcelist=failure.RETRY_STATUSES,
            raise_on_status=False, allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"POST"})
        self.session = requests.Session()
        self.session.mount(self.url, HTTPAdapter(max_retries=retry))
        self.session.headers.update({"Authorization": f"Bearer {api_key}",
                                     "Accept": "application/json"})

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **options: Any) -> BridgeClient:
        """A client of the bridge ``SIP_BRIDGE_URL`` names; ``options`` as for ``__init__``."""
        return cls(config.get("SIP_BRIDGE_URL"), config.get("SIP_BRIDGE_API_KEY"), **options)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> BridgeClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def sync_organization(self, config: Any) -> Any:
        """Validate ``config`` (``ValidationError``: nothing sent), send it and return the bridge's
        JSON answer (``None`` if empty); ``BridgeError`` when the bridge failed."""
        body = canonical_json(validate_organization(config))
        # The key follows the content, so the bridge can tell a retry from a new sync.
        headers = {"Content-Type": "application/json",
                   "Idempotency-Key": hashlib.sha256(body).hexdigest()}
        attempts = None
        try:
            response = self.session.post(self.url, data=body, headers=headers, stream=True,
                                         timeout=self.timeout, allow_redirects=False)
            with response:
                attempts = len(response.raw.retries.history) + 1
                content = response.content  # the body may still break off or stall
        except requests.RequestException as exc:
            what, check, last, counted = failure.unreachable(exc, self.timeout, self._api_key)
            raise self._fail(what, check, attempts or counted or 1, last) from exc
        status = response.status_code
        if not 200 <= status < 300:
            said = failure.bridge_message(content, self._api_key)
            location = failure.shorten(response.headers.get("Location") or "", self._api_key)
            raise self._fail(f"answered HTTP {status}", failure.what_to_check(status, location),
                             attempts, f"; the bridge said: {said}" if said else "", status, said)
        try:
            answer = json.loads(content) if content.strip() else None
        except ValueError as exc:
            raise self._fail(f"answered HTTP {status} but not with JSON", "that SIP_BRIDGE_URL is "
                             "the bridge's API; the sync may or may not have been applied",
                             attempts, "", status, failure.bridge_message(content, self._api_key)
                             ) from exc
        log.info("organization %s synced to %s in %d attempt(s)",
                 config["organization_id"], self.url, attempts)
        metrics.BRIDGE_SYNCS.inc(attempts)
        if attempts > 1:
            metrics.BRIDGE_FAILURES.labels("retried").inc(attempts - 1)
        return answer

    def _fail(self, what: str, check: str, attempts: int, detail: str = "",
              status: int | None = None, said: str | None = None) -> BridgeError:
        """The error of a failed sync, counted and logged."""
        message = (f"POST {self.url}: the SIP bridge {what} ({attempts} "
                   f"attempt{'' if attempts == 1 else 's'}): check {check}{detail}")
        metrics.BRIDGE_SYNCS.inc(attempts)
        reason = f"{status // 100}xx" if status else "unreachable"
        metrics.BRIDGE_FAILURES.labels(reason).inc(attempts)
        log.warning("SIP bridge sync failed: %s", message)
        return BridgeError(message, bridge_status=status, bridge_message=said, attempts=attempts)
