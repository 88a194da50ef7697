import json

import pytest
from marshmallow import ValidationError

from burki_sip.web.schemas import (CALL_SID_MAX, VARIABLES_MAX_BYTES, VARIABLES_MAX_DEPTH,
                               PrewarmSchema)

schema = PrewarmSchema()


def test_seed_example_loads_unchanged(seed_prewarm):
    assert schema.load(seed_prewarm) == seed_prewarm


def test_variables_as_json_string_load_as_object(seed_prewarm):
    seed_prewarm["variables"] = '{"customer_id": "cust_123"}'
    assert schema.load(seed_prewarm)["variables"] == {"customer_id": "cust_123"}


def test_unknown_fields_are_dropped():
    assert schema.load({"call_sid": "c1", "sip_headers": {"X": "1"}}) == {"call_sid": "c1"}


def test_nulls_are_accepted_for_optional_fields():
    loaded = schema.load({"call_sid": "c1", "from_number": None, "variables": None})
    assert loaded == {"call_sid": "c1", "from_number": None, "variables": None}


def nested(depth):
    value = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(("payload", "field", "message"), [
    ({}, "call_sid", "call_sid required"),
    ({"call_sid": None}, "call_sid", "call_sid required"),
    ({"call_sid": ""}, "call_sid", "call_sid required"),
    ({"call_sid": 123}, "call_sid", "Not a valid string."),
    ({"call_sid": "has space"}, "call_sid", "printable ASCII"),
    ({"call_sid": "{tag}"}, "call_sid", "braces"),
    ({"call_sid": "tab\there"}, "call_sid", "printable"),
    ({"call_sid": "é"}, "call_sid", "printable"),
    ({"call_sid": "x" * (CALL_SID_MAX + 1)}, "call_sid", "at most 128"),
    ({"call_sid": "c", "variables": "not json"}, "variables", "JSON object"),
    ({"call_sid": "c", "variables": "[1, 2]"}, "variables", "JSON object"),
    ({"call_sid": "c", "variables": [1]}, "variables", "JSON object"),
    ({"call_sid": "c", "variables": 7}, "variables", "JSON object"),
    ({"call_sid": "c", "variables": '{"a": NaN}'}, "variables", "JSON object"),
    ({"call_sid": "c", "variables": {"k": "v" * VARIABLES_MAX_BYTES}}, "variables", "bytes"),
    ({"call_sid": "c", "variables": nested(VARIABLES_MAX_DEPTH + 1)}, "variables", "nest"),
    ({"call_sid": "c", "assistant_id": "123"}, "assistant_id", "integer"),
    ({"call_sid": "c", "assistant_id": 1.5}, "assistant_id", "integer"),
    ({"call_sid": "c", "assistant_id": True}, "assistant_id", "integer"),
    ({"call_sid": "c", "outbound": "maybe"}, "outbound", "boolean"),
    ({"call_sid": "c", "from_number": 15551234567}, "from_number", "string"),
    ({"call_sid": "c", "to_number": "1" * 65}, "to_number", "64"),
    ({"call_sid": "c", "agenda": "a" * 4097}, "agenda", "4096"),
])
def test_invalid_fields_are_named(payload, field, message):
    with pytest.raises(ValidationError) as caught:
        schema.load(payload)
    assert message in " ".join(caught.value.messages[field])


def test_deepest_allowed_variables_load():
    value = nested(VARIABLES_MAX_DEPTH)
    assert schema.load({"call_sid": "c", "variables": json.dumps(value)})["variables"] == value
