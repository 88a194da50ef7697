"""Metrics and logs as the Procfile runs the service: gunicorn with 2 workers, real redis-server."""

import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from support import Gunicorn, wait_until

pytestmark = pytest.mark.integration

BATCH = 10
MAX_BATCHES = 20


def scrape(url: str) -> dict:
    """Every sample of ``GET /metrics`` as {(name, sorted labels): value}."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def prewarm_batch(url: str, start: int) -> list[int]:
    """BATCH prewarms sent 4 at a time, so that both workers get some."""
    def send(n):
        return requests.post(f"{url}/sip-prewarm", json={"call_sid": f"m-{n}"}, timeout=10)
    with ThreadPoolExecutor(4) as pool:
        return [response.status_code for response in pool.map(send, range(start, start + BATCH))]


def worker_files(metrics_dir) -> set[str]:
    return {name for name in os.listdir(metrics_dir) if name.startswith("counter_")}


def send_until_both_workers_served(service, metrics_dir) -> int:
    """Prewarm in batches until two workers have counted some (bounded); return how many."""
    sent = 0
    while sent < BATCH * MAX_BATCHES:
        assert set(prewarm_batch(service.url, sent)) == {200}
        sent += BATCH
        if len(worker_files(metrics_dir)) >= 2:
            break
    return sent


def prewarm_counts(url: str) -> tuple[float, float, float]:
    samples = scrape(url)
    route = (("method", "POST"), ("route", "/sip-prewarm"))
    return (samples[("burki_sip_http_requests_total", route + (("status", "200"),))],
            samples[("burki_sip_http_request_duration_seconds_count", route)],
            samples[("burki_sip_prewarms_total", ())])


@pytest.fixture
def metrics_dir(tmp_path):
    return tmp_path / "metrics"


def test_metrics_add_up_over_workers_and_restart_from_zero(redis_server, metrics_dir):
    service = Gunicorn(redis_server.url, workers=2,
                       PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)).start()
    try:
        sent = send_until_both_workers_served(service, metrics_dir)
        assert len(worker_files(metrics_dir)) == 2
        assert prewarm_counts(service.url) == (sent, sent, sent)
    finally:
        service.stop()

    # The same directory after a restart: the files of the earlier run are removed at start.
    service = Gunicorn(redis_server.url, workers=2,
                       PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)).start()
    try:
        assert set(prewarm_batch(service.url, 0)) == {200}
        assert prewarm_counts(service.url) == (BATCH, BATCH, BATCH)
    finally:
        service.stop()


def test_one_json_line_per_request_and_no_gunicorn_access_line(redis_server, metrics_dir):
    service = Gunicorn(redis_server.url, workers=2,
                       PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)).start()
    try:
        ids = [requests.get(f"{service.url}/healthz", headers={"X-Request-ID": f"probe-{n}"},
                            timeout=5).headers["X-Request-ID"] for n in range(5)]
        wait_until(lambda: service.output().count('"burki_sip.access"') >= 5, timeout=10,
                   what="access lines written")
    finally:
        output = service.stop()

    assert ids == [f"probe-{n}" for n in range(5)]
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # all JSON
    access = [line for line in lines if line["logger"] == "burki_sip.access"]
    assert sorted(line["request_id"] for line in access) == ids
    # burki_sip.auth: no key is configured here, so each worker warns that SIP routes are open.
    assert {line["logger"] for line in lines} <= {"burki_sip.access", "gunicorn.error",
                                                  "burki_sip.devredis", "burki_sip.web.auth"}


def test_temporary_metrics_dir_is_made_and_removed(redis_server, tmp_path):
    service = Gunicorn(redis_server.url, workers=2, TMPDIR=str(tmp_path))
    service.env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # unset, as on a fresh dyno
    service.start()
    try:
        assert set(prewarm_batch(service.url, 0)) == {200}
        assert prewarm_counts(service.url)[2] == BATCH
        [made] = [path for path in tmp_path.iterdir() if path.name.startswith("burki-sip-metrics-")]
    finally:
        service.stop()
    assert not made.exists()


def test_every_access_line_is_out_when_the_service_stops(redis_server, metrics_dir):
    # SIGTERM right after the answers must still leave one line per request: none is lost in a
    # buffer as the workers exit.
    service = Gunicorn(redis_server.url, workers=2,
                       PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)).start()
    try:
        codes = [code for start in range(0, 5 * BATCH, BATCH)
                 for code in prewarm_batch(service.url, start)]
    finally:
        output = service.stop()
    assert set(codes) == {200}
    access = [json.loads(line) for line in output.splitlines() if '"burki_sip.access"' in line]
    prewarms = [line["call_sid"] for line in access if line["path"] == "/sip-prewarm"]
    assert sorted(prewarms) == sorted(f"m-{n}" for n in range(5 * BATCH))
