"""The organization config synced to the SIP bridge: its schemas and their error paths."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
from typing import Any

from marshmallow import (INCLUDE, Schema, ValidationError, fields, post_load, validate,
                         validates_schema)

E164 = re.compile(r"\+[1-9][0-9]{1,14}\Z")  # Regexp uses re.match: anchor the end
HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
DEFAULT_PORTS = {"udp": 5060, "tcp": 5060, "tls": 5061}  # the transports, and their SIP ports


def check_host(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is an IP address or a DNS host name."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(value)
        return
    labels = value[:-1].split(".") if value.endswith(".") else value.split(".")
    # An all-digit last label is a mistyped IPv4 address, never a top-level domain.
    if (len(value) > 253 or labels[-1].isdigit()
            or not all(HOST_LABEL.fullmatch(label) for label in labels)):
        raise ValidationError("must be a host name or an IP address (no scheme, no port)")


def check_network(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is an IP address or a CIDR range."""
    try:
        ipaddress.ip_network(value)
    except ValueError as exc:
        raise ValidationError(f"{value!r} is not an IP address or CIDR range ({exc})") from exc


class Identifier(fields.Field):
    """A trunk id: a non-empty string or an integer (not a boolean), kept as given."""

    default_error_messages = {"invalid": "must be a non-empty string or an integer"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            raise self.make_error("invalid")
        return value


class ObjectSchema(Schema):
    """A JSON object whose unknown fields are kept untouched (``INCLUDE``), at every level, so the
    bridge can grow new fields without this service refusing or dropping them."""

    class Meta:
        unknown = INCLUDE

    error_messages = {"type": "must be a JSON object"}


class TrunkSchema(ObjectSchema):
    """One SIP trunk: where the carrier or PBX is, how to reach it, and whose traffic to accept."""

    id = Identifier(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    host = fields.String(required=True, validate=check_host)
    port = fields.Integer(strict=True, validate=validate.Range(min=1, max=65535))
    transport = fields.String(load_default="udp", validate=validate.OneOf(DEFAULT_PORTS))
    username = fields.String(validate=validate.Length(min=1))
    password = fields.String(validate=validate.Length(min=1))
    register = fields.Boolean()
    allowed_ips = fields.List(fields.String(validate=check_network))
    enabled = fields.Boolean(load_default=True)

    @validates_schema(skip_on_field_errors=False)
    def check_credentials(self, data: dict, **kwargs) -> None:
        """Username and password come together; registering needs both."""
        if "username" in data and "password" not in data:
            raise ValidationError("required when username is set", "password")
        if "password" in data and "username" not in data:
            raise ValidationError("required when password is set", "username")
        if data.get("register") and "username" not in data:
            raise ValidationError("required when register is true", "username")

    @post_load
    def default_port(self, data: dict, **kwargs) -> dict:
        """A trunk without a port uses its transport's: 5061 for TLS, else 5060."""
        data.setdefault("port", DEFAULT_PORTS[data["transport"]])
        return data


class PhoneNumberSchema(ObjectSchema):
    """A phone number of the organization and the assistant that answers it."""

    number = fields.String(required=True, validate=validate.Regexp(
        E164, error="must be an E.164 number such as +15551234567"))
    assistant_id = fields.Integer(required=True, strict=True)


class OrganizationSchema(ObjectSchema):
    """What ``POST {SIP_BRIDGE_URL}/api/sync-organization`` receives for one organization."""

    organization_id = fields.Integer(required=True, strict=True)
    name = fields.String()
    # Required, though empty lists are fine: a config that merely forgot them must not be
    # mistaken for one that removes them all.
    trunks = fields.List(fields.Nested(TrunkSchema), required=True)
    phone_numbers = fields.List(fields.Nested(PhoneNumberSchema), required=True)

    @validates_schema(skip_on_field_errors=False)
    def check_unique(self, data: dict, **kwargs) -> None:
        """No phone number and no trunk id twice."""
        errors: dict = {}
        for name, key in (("phone_numbers", "number"), ("trunks", "id")):
            seen: dict = {}
            for index, item in enumerate(data.get(name) or ()):
                if item.get(key) is None:  # missing or invalid: reported by its field
                    continue
                first = seen.setdefault(item[key], index)
                if first != index:
                    errors.setdefault(name, {})[index] = {
                        key: [f"{item[key]} already at {name}[{first}].{key}"]}
        if errors:
            raise ValidationError(errors)


def validate_organization(config: Any) -> dict:
    """``config`` validated, with defaults filled in and unknown fields kept; ``ValidationError``
    has messages keyed by field path, e.g. ``trunks[1].port``."""
    try:
        loaded = OrganizationSchema().load(config)
    except ValidationError as exc:
        raise ValidationError(flatten(exc.messages)) from exc
    try:
        json.dumps(loaded, allow_nan=False)
    except (TypeError, ValueError) as exc:  # a pass-through field holds NaN or a Python object
        raise ValidationError({"(root)": [f"not representable as JSON: {exc}"]}) from exc
    return loaded


def flatten(messages, path: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"trunks[1].port": [...]}``; ``(root)`` for the top."""
    if not isinstance(messages, dict):
        texts = messages if isinstance(messages, list) else [messages]
        return {path or "(root)": [str(text) for text in texts]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        child = (path if key == "_schema" else f"{path}[{key}]" if isinstance(key, int)
                 else f"{path}.{key}" if path else str(key))
        for name, texts in flatten(value, child).items():
            flat.setdefault(name, []).extend(texts)
    return flat
