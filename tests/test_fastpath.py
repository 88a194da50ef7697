"""The prewarm fast path accepts only what marshmallow accepts, and loads it identically."""

import json
import time

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from burki_sip.fastpath import fast_load_prewarm, load_prewarm
from burki_sip.schemas import (CALL_SID_MAX, NUMBER_MAX, TEXT_MAX, VARIABLES_MAX_BYTES,
                               VARIABLES_MAX_DEPTH, PrewarmSchema)

schema = PrewarmSchema()

json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(json_leaves, lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(max_size=4), children, max_size=3),
                           max_leaves=12)


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def text_near(limit: int):
    """Strings just under, at and just over ``limit`` characters, ASCII and not."""
    return st.builds(lambda char, size: char * size, st.sampled_from("x+é\u2028\"{"),
                     st.integers(limit - 2, limit + 2))


call_sids = (st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7a), min_size=1,
                     max_size=12)
             | text_near(CALL_SID_MAX) | st.sampled_from(["sip-20260430-abc123", "{x}", "", " "]))
variables = (st.dictionaries(st.text(max_size=4), json_values, max_size=3)
             | st.dictionaries(st.text(max_size=4), json_values, max_size=3).map(json.dumps)
             | st.integers(VARIABLES_MAX_DEPTH - 1, VARIABLES_MAX_DEPTH + 2).map(nested)
             | st.integers(VARIABLES_MAX_DEPTH - 1, VARIABLES_MAX_DEPTH + 2)
             .map(lambda depth: json.dumps(nested(depth)))
             | st.integers(VARIABLES_MAX_BYTES - 12, VARIABLES_MAX_BYTES - 4)
             .map(lambda size: {"k": "v" * size})
             | st.sampled_from(["not json", "[1]", '{"a": NaN}', "[" * 5000, "{}"]))
anything = (json_leaves | st.sampled_from([0, 1, True, False, "true", 1.0, 2**70, b"bytes", [], {}])
            | json_values | variables | text_near(NUMBER_MAX))
texts = st.none() | st.text(max_size=8)

# Bodies close to what a bridge sends (every field of a plausible type, lengths around the
# limits), then one field at a time replaced by anything at all: what separates the paths.
plausible = st.fixed_dictionaries({"call_sid": call_sids}, optional={
    "from_number": texts,
    "to_number": texts,
    "outbound": st.none() | st.booleans(),
    "assistant_id": st.none() | st.integers(),
    "welcome_message": texts,
    "agenda": texts,
    "variables": st.none() | variables,
    "sip_headers": anything,
})
FIELDS = ["call_sid", "from_number", "to_number", "outbound", "assistant_id", "welcome_message",
          "agenda", "variables", "CallSid"]
bodies = st.one_of(
    plausible,
    st.builds(lambda body, name, value: {**body, name: value},
              plausible, st.sampled_from(FIELDS), anything),
    st.builds(lambda body, name: {key: value for key, value in body.items() if key != name},
              plausible, st.sampled_from(FIELDS)),
)


def marshmallow_load(body: dict):
    try:
        return schema.load(body)
    except ValidationError as exc:
        return exc


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_fast_path_accepts_only_what_marshmallow_loads_identically(body):
    fast = fast_load_prewarm(body)
    slow = marshmallow_load(body)

    if fast is not None:
        assert not isinstance(slow, ValidationError)
        assert list(fast.items()) == list(slow.items())
        assert json.dumps(fast) == json.dumps(slow)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_load_prewarm_gives_marshmallows_answer(body):
    slow = marshmallow_load(body)
    try:
        loaded = load_prewarm(body)
    except ValidationError as exc:
        assert isinstance(slow, ValidationError)
        assert exc.messages == slow.messages
    else:
        assert list(loaded.items()) == list(slow.items())


TRICKY = [None, True, False, 0, 1, -1, 2**70, 1.5, float("nan"), float("inf"), "", "x", "true",
          "1", "{x}", "a b", "é", b"bytes", [], {}, [1], {"a": 1}, '{"a": 1}', "[1]", "[" * 3000,
          "x" * (NUMBER_MAX + 1), "x" * (TEXT_MAX + 1), "x" * (CALL_SID_MAX + 1),
          {"k": "v" * VARIABLES_MAX_BYTES}, nested(VARIABLES_MAX_DEPTH + 1)]


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("value", TRICKY, ids=lambda value: repr(value)[:20])
def test_each_tricky_value_in_each_field(seed_prewarm, name, value):
    body = {**seed_prewarm, name: value}
    fast = fast_load_prewarm(body)
    slow = marshmallow_load(body)

    if fast is not None:
        assert not isinstance(slow, ValidationError)
        assert list(fast.items()) == list(slow.items())


def test_seed_example_takes_the_fast_path(seed_prewarm):
    assert list(fast_load_prewarm(seed_prewarm).items()) == list(seed_prewarm.items())


def test_variables_as_string_take_the_fast_path(seed_prewarm):
    seed_prewarm["variables"] = '{"customer_id": "cust_123"}'
    assert fast_load_prewarm(seed_prewarm)["variables"] == {"customer_id": "cust_123"}


def test_unknown_fields_are_dropped_by_the_fast_path_too():
    assert fast_load_prewarm({"call_sid": "c1", "extra": [1]}) == {"call_sid": "c1"}


def test_deeply_nested_variables_string_is_a_400_not_a_crash():
    with pytest.raises(ValidationError) as caught:
        load_prewarm({"call_sid": "c1", "variables": "[" * 100_000})
    assert "variables" in caught.value.messages


def test_lean_redis_path_only_for_plain_one_server_clients(fake_redis):
    from redis import Redis
    from redis.sentinel import Sentinel

    from burki_sip.fastpath import lean_path_fits

    # Building these clients connects to nothing.
    assert lean_path_fits(Redis.from_url("redis://127.0.0.1:1/0"))
    assert lean_path_fits(Redis.from_url("rediss://127.0.0.1:1/0"))
    assert lean_path_fits(Redis.from_url("unix:///tmp/none.sock"))
    assert not lean_path_fits(Sentinel([("127.0.0.1", 1)]).master_for("primary"))
    assert not lean_path_fits(fake_redis)


@pytest.mark.integration
def test_a_timed_out_lean_write_leaves_the_connection_in_step(redis_server, real_redis):
    from burki_sip.connection import client_from_config
    from burki_sip.config import check, defaults
    from burki_sip.fastpath import send_one
    from burki_sip.store import store_from_config

    config = {**defaults(), "REDIS_URL": redis_server.url, "REDIS_SOCKET_TIMEOUT": "0.2"}
    check(config)
    client = client_from_config(config)
    store = store_from_config(client, config)
    store.save_context({"call_sid": "warm"})
    real_redis.execute_command("CLIENT", "PAUSE", "700", "ALL")
    with pytest.raises(redis.TimeoutError):
        store.save_context({"call_sid": "late"})
    time.sleep(0.8)

    store.save_context({"call_sid": "next", "agenda": "in step"})
    reply = send_one(client, "GET", store.keys.context("next"))
    assert json.loads(reply)["agenda"] == "in step"
    client.close()
