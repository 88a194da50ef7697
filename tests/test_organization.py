"""The organization config: what is accepted, the defaults, and errors named by field path."""

from __future__ import annotations

import math

import pytest
from marshmallow import ValidationError

from bridge_support import valid_config
from burki_sip.bridge.organization import flatten
from burki_sip.bridge.organization import validate_organization

DELETE = object()


def changed(*changes) -> dict:
    """The valid config with each ``(path, value)`` applied; ``DELETE`` removes the key."""
    config = valid_config()
    for path, value in changes:
        target = config
        for step in path[:-1]:
            target = target[step]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return config


def errors_of(config) -> dict:
    with pytest.raises(ValidationError) as info:
        validate_organization(config)
    return info.value.messages


def test_valid_config_loads_with_defaults():
    loaded = validate_organization(valid_config())
    main, pbx = loaded["trunks"]
    assert main["port"] == 5060 and main["enabled"] is True
    assert pbx["port"] == 5061 and pbx["enabled"] is False
    assert loaded["phone_numbers"][0] == {"number": "+15551234567", "assistant_id": 123}


@pytest.mark.parametrize(("trunk", "port", "transport"), [
    ({}, 5060, "udp"),
    ({"transport": "tcp"}, 5060, "tcp"),
    ({"transport": "tls"}, 5061, "tls"),
    ({"transport": "tls", "port": 5071}, 5071, "tls"),
    ({"port": 15060}, 15060, "udp"),
])
def test_port_defaults_follow_the_transport(trunk, port, transport):
    config = changed((("trunks",), [{"id": "t", "name": "T", "host": "sip.example.com", **trunk}]))
    loaded = validate_organization(config)["trunks"][0]
    assert (loaded["port"], loaded["transport"]) == (port, transport)


def test_unknown_fields_pass_through_at_every_level():
    config = changed((("codec_preferences",), ["opus", "pcmu"]),
                     (("trunks", 0, "dtmf_mode"), "rfc2833"),
                     (("trunks", 0, "headers"), {"X-Tenant": {"deep": [1, None]}}),
                     (("phone_numbers", 1, "label"), "London"))
    loaded = validate_organization(config)
    assert loaded["codec_preferences"] == ["opus", "pcmu"]
    assert loaded["trunks"][0]["dtmf_mode"] == "rfc2833"
    assert loaded["trunks"][0]["headers"] == {"X-Tenant": {"deep": [1, None]}}
    assert loaded["phone_numbers"][1]["label"] == "London"


def test_validating_twice_changes_nothing():
    once = validate_organization(valid_config())
    assert validate_organization(once) == once


@pytest.mark.parametrize("host", ["sip.example.com", "sip.example.com.", "carrier",
                                  "192.0.2.1", "2001:db8::1"])
def test_hosts_accepted(host):
    validate_organization(changed((("trunks", 0, "host"), host)))


@pytest.mark.parametrize("networks", [["10.0.0.1"], ["10.0.0.0/8", "2001:db8::/32", "::1"], []])
def test_allowed_ips_accept_addresses_and_ranges(networks):
    validate_organization(changed((("trunks", 0, "allowed_ips"), networks)))


@pytest.mark.parametrize(("changes", "path", "fragment"), [
    ([(("organization_id",), DELETE)], "organization_id", "Missing data"),
    ([(("organization_id",), "42")], "organization_id", "Not a valid integer"),
    ([(("organization_id",), True)], "organization_id", "Not a valid integer"),
    ([(("name",), 7)], "name", "Not a valid string"),
    ([(("trunks",), DELETE)], "trunks", "Missing data"),
    ([(("trunks",), {"id": 1})], "trunks", "Not a valid list"),
    ([(("trunks", 0), "main")], "trunks[0]", "must be a JSON object"),
    ([(("trunks", 1, "port"), 0)], "trunks[1].port", "greater than or equal to 1"),
    ([(("trunks", 1, "port"), 65536)], "trunks[1].port", "less than or equal to 65535"),
    ([(("trunks", 1, "port"), "5060")], "trunks[1].port", "Not a valid integer"),
    ([(("trunks", 0, "transport"), "sctp")], "trunks[0].transport", "udp, tcp, tls"),
    ([(("trunks", 0, "id"), DELETE)], "trunks[0].id", "Missing data"),
    ([(("trunks", 0, "id"), "")], "trunks[0].id", "non-empty string or an integer"),
    ([(("trunks", 0, "id"), False)], "trunks[0].id", "non-empty string or an integer"),
    ([(("trunks", 0, "name"), DELETE)], "trunks[0].name", "Missing data"),
    ([(("trunks", 0, "host"), "sip://carrier.example")], "trunks[0].host", "host name"),
    ([(("trunks", 0, "host"), "carrier.example:5060")], "trunks[0].host", "no port"),
    ([(("trunks", 0, "host"), "999.1.1.1")], "trunks[0].host", "host name"),
    ([(("trunks", 0, "password"), DELETE)], "trunks[0].password", "required when username"),
    ([(("trunks", 0, "username"), DELETE)], "trunks[0].username", "required when password"),
    ([(("trunks", 1, "register"), True)], "trunks[1].username", "required when register"),
    ([(("trunks", 0, "register"), "maybe")], "trunks[0].register", "Not a valid boolean"),
    ([(("trunks", 0, "enabled"), None)], "trunks[0].enabled", "may not be null"),
    ([(("trunks", 0, "allowed_ips"), ["10.0.0.1", "nope"])], "trunks[0].allowed_ips[1]",
     "not an IP address or CIDR range"),
    ([(("trunks", 0, "allowed_ips"), ["10.0.0.1/8"])], "trunks[0].allowed_ips[0]",
     "host bits set"),
    ([(("trunks", 1, "id"), "main")], "trunks[1].id", "main already at trunks[0].id"),
    ([(("phone_numbers",), DELETE)], "phone_numbers", "Missing data"),
    ([(("phone_numbers", 0, "number"), "5551234567")], "phone_numbers[0].number", "E.164"),
    ([(("phone_numbers", 0, "number"), "+0123456")], "phone_numbers[0].number", "E.164"),
    ([(("phone_numbers", 0, "number"), "+1 555 123 4567")], "phone_numbers[0].number", "E.164"),
    ([(("phone_numbers", 0, "number"), "+1234567890123456")], "phone_numbers[0].number", "E.164"),
    ([(("phone_numbers", 0, "number"), "+15551234567\n")], "phone_numbers[0].number", "E.164"),
    ([(("phone_numbers", 1, "number"), "+15551234567")], "phone_numbers[1].number",
     "+15551234567 already at phone_numbers[0].number"),
    ([(("phone_numbers", 1, "assistant_id"), DELETE)], "phone_numbers[1].assistant_id",
     "Missing data"),
    ([(("phone_numbers", 1, "assistant_id"), "124")], "phone_numbers[1].assistant_id",
     "Not a valid integer"),
    ([(("extra",), math.nan)], "(root)", "not representable as JSON"),
])
def test_invalid_configs_name_the_field_path(changes, path, fragment):
    messages = errors_of(changed(*changes))
    assert path in messages, messages
    assert any(fragment in text for text in messages[path]), messages


@pytest.mark.parametrize("config", [None, [], "config", 42])
def test_a_config_must_be_an_object(config):
    assert errors_of(config) == {"(root)": ["must be a JSON object"]}


def test_every_error_is_reported_at_once():
    messages = errors_of(changed((("organization_id",), "x"), (("trunks", 1, "port"), -1),
                                 (("phone_numbers", 0, "number"), "1")))
    assert set(messages) == {"organization_id", "trunks[1].port", "phone_numbers[0].number"}


def test_flatten_turns_marshmallow_nesting_into_paths():
    messages = {"a": ["x"], "trunks": {1: {"port": ["p"], "_schema": ["s"]}},
                "_schema": ["top"], "list": {0: {1: ["deep"]}}}
    assert flatten(messages) == {"a": ["x"], "trunks[1].port": ["p"], "trunks[1]": ["s"],
                                 "(root)": ["top"], "list[0][1]": ["deep"]}
