"""The benchmark's no-op route exists only when SIP_BENCH_NOOP enables it."""

import pytest

from burki_sip import create_app


def test_noop_route_is_absent_by_default(client, fake_redis):
    response = client.post("/bench/noop", json={"call_sid": "c1"})

    assert response.status_code == 404
    assert response.get_json()["error"] == "not found"


@pytest.mark.parametrize("value", ["true", "1", True])
def test_noop_route_answers_json_when_enabled(value, fake_redis):
    app = create_app({"TESTING": True, "SIP_BENCH_NOOP": value}, redis_client=fake_redis)

    response = app.test_client().post("/bench/noop", json={"call_sid": "c1"})

    assert response.status_code == 200
    assert response.get_json() == {"call_sid": "noop", "prewarmed": True}
    assert fake_redis.dbsize() == 0


def test_noop_route_is_absent_when_disabled_explicitly(fake_redis):
    app = create_app({"TESTING": True, "SIP_BENCH_NOOP": "false"}, redis_client=fake_redis)

    assert app.test_client().post("/bench/noop", json={}).status_code == 404


def test_set_floor_stores_the_seed_context_under_a_new_call_sid(fake_redis):
    app = create_app({"TESTING": True, "SIP_BENCH_NOOP": True}, redis_client=fake_redis)

    first = app.test_client().post("/bench/set", json={}).get_json()
    second = app.test_client().post("/bench/set", json={}).get_json()

    assert first["call_sid"] != second["call_sid"]
    assert sorted(fake_redis.keys()) == sorted(
        f"burki:sip:call:{{{answer['call_sid']}}}:context" for answer in (first, second))


def test_set_floor_is_absent_by_default(client):
    assert client.post("/bench/set", json={}).status_code == 404


def test_floors_go_through_the_same_guard_as_the_sip_routes(fake_redis):
    app = create_app({"TESTING": True, "SIP_BENCH_NOOP": True, "SIP_BRIDGE_API_KEY": "k"},
                     redis_client=fake_redis)
    client = app.test_client()

    assert client.post("/bench/noop", json={}).status_code == 401
    assert client.post("/bench/set", json={}).status_code == 401
    assert client.post("/bench/noop", json={}, headers={"Authorization": "Bearer k"}).status_code == 200
