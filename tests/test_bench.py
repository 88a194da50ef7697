"""The benchmark's floors (bench/app.py): only in the benchmark's app, behind the same guard."""

import sys

from support import ROOT

sys.path.insert(0, str(ROOT))  # bench/ is not a package of the service: reach it from the root

from bench.app import bench_app  # noqa: E402


def test_the_service_has_no_floors(client):
    response = client.post("/bench/noop", json={"call_sid": "c1"})

    assert response.status_code == 404
    assert response.get_json()["error"] == "not found"
    assert client.post("/bench/set", json={}).status_code == 404


def test_noop_floor_answers_like_a_prewarm_without_redis(fake_redis):
    app = bench_app({"TESTING": True}, redis_client=fake_redis)

    response = app.test_client().post("/bench/noop", json={"call_sid": "c1"})

    assert response.status_code == 200
    assert response.get_json() == {"call_sid": "noop", "prewarmed": True}
    assert fake_redis.dbsize() == 0


def test_set_floor_stores_the_example_context_under_a_new_call_sid(fake_redis):
    app = bench_app({"TESTING": True}, redis_client=fake_redis)

    first = app.test_client().post("/bench/set", json={}).get_json()
    second = app.test_client().post("/bench/set", json={}).get_json()

    assert first["call_sid"] != second["call_sid"]
    assert sorted(fake_redis.keys()) == sorted(
        f"burki:sip:call:{{{answer['call_sid']}}}:context" for answer in (first, second))


def test_floors_go_through_the_same_guard_as_the_sip_routes(fake_redis):
    app = bench_app({"TESTING": True, "SIP_BRIDGE_API_KEY": "k"}, redis_client=fake_redis)
    client = app.test_client()

    assert client.post("/bench/noop", json={}).status_code == 401
    assert client.post("/bench/set", json={}).status_code == 401
    assert client.post("/bench/noop", json={}, headers={"Authorization": "Bearer k"}).status_code == 200
