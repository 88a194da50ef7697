"""The event stream entry schema (docs/events.md): ``Event``, its parser, and the events' errors."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

# The ``schema`` field of every entry written now. Entries written before it existed have none and
# parse as schema "0" (the same fields, without delivery_id, provider and provider_call_id).
SCHEMA_VERSION = "1"

# Entry fields an entry may lack; these and the required ones are the fields the schema names,
# and any other field is kept in ``Event.extra``.
OPTIONAL_FIELDS = ("call_sid", "provider", "provider_call_id", "request_id", "delivery_id",
                   "status", "type")
KNOWN_FIELDS = ("schema", "received_at", "content_type", "payload", "applied", *OPTIONAL_FIELDS)

# The ``type`` of an entry that tells of an erasure; a received request's entry has no ``type``.
ERASURE = "erasure"

# Longest blocking read, in ms: it must also return (empty) within half the socket timeout,
# before the client gives up waiting for the socket.
MAX_BLOCK_MS = 1000


class EventFormatError(ValueError):
    """A stream entry does not follow the documented schema."""


class BacklogFullError(Exception):
    """A consumer group is too far behind: the write was refused and nothing was stored."""

    def __init__(self, kind: str, backlog: int) -> None:
        super().__init__(f"{kind} events backlog full: {backlog} entries not yet acknowledged")
        self.kind = kind
        self.backlog = backlog


@dataclass(frozen=True)
class Event:
    """One stream entry, typed. ``id`` is the stream entry id: deduplicate on it."""

    id: str
    kind: str
    schema: str
    received_at: str
    content_type: str
    payload: dict
    call_sid: str | None = None
    provider: str | None = None
    provider_call_id: str | None = None
    request_id: str | None = None
    delivery_id: str | None = None
    status: str | None = None
    applied: bool | None = None
    type: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, kind: str, entry_id: str, fields: Mapping[str, str]) -> "Event":
        """The ``Event`` of one entry as Redis returns it.

        Raises:
            EventFormatError: a required field is missing or ``payload``/``applied`` is malformed.
        """
        missing = [name for name in ("received_at", "content_type", "payload") if name not in fields]
        if missing:
            raise EventFormatError(f"entry {entry_id} lacks {', '.join(missing)}")
        try:
            payload = json.loads(fields["payload"])
        except ValueError as exc:
            raise EventFormatError(f"entry {entry_id}: payload is not JSON ({exc})") from exc
        if not isinstance(payload, dict):
            raise EventFormatError(f"entry {entry_id}: payload is not a JSON object")
        applied = fields.get("applied")
        if applied not in (None, "true", "false"):
            raise EventFormatError(f"entry {entry_id}: applied is {applied!r}, not true or false")
        return cls(id=entry_id, kind=kind, schema=fields.get("schema", "0"),
                   received_at=fields["received_at"], content_type=fields["content_type"],
                   payload=payload, applied=None if applied is None else applied == "true",
                   **{name: fields.get(name) for name in OPTIONAL_FIELDS},
                   extra={k: v for k, v in fields.items() if k not in KNOWN_FIELDS})

    @property
    def erased_call_sids(self) -> tuple[str, ...]:
        """The calls an ``erasure`` entry says were erased (erase your copies); else ``()``."""
        if self.type != ERASURE:
            return ()
        return tuple(str(sid) for sid in self.payload.get("call_sids") or ())

    def as_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data: what ``burki-sip events consume`` writes to a handler."""
        return {**asdict(self), "extra": dict(self.extra)}


def block_ms(socket_timeout: float | None) -> int:
    """How long a blocking stream read may wait: half the socket timeout, at most 1 s."""
    if not socket_timeout:
        return MAX_BLOCK_MS
    return max(1, min(MAX_BLOCK_MS, int(socket_timeout * 500)))


def block_ms_for(client: Any) -> int:
    """``block_ms`` of ``client``'s socket timeout."""
    return block_ms(getattr(client, "get_connection_kwargs", dict)().get("socket_timeout"))
