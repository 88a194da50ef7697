"""SIGTERM (what Heroku sends a dyno before it stops it) and SIGHUP lose nothing that arrived.

Every request whose bytes reached the machine before the signal, in flight or still queued in
the listen backlog, is answered, and a 200 is stored; new connections after SIGTERM may be
refused. Under each worker class, through real gunicorn, with raw sockets.
"""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import WORKER_CLASSES, worker_class_env
from drain_support import SteadyLoad, finish_held_back, held_back_requests, stop_workers
from rawhttp import Connection, prewarm_bytes
from support import Gunicorn, gunicorn_setting, wait_until, worker_pids

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

WORKERS = 2
PAUSE_MS = 2500  # how long Redis holds every write, so the requests are in flight at SIGTERM
HEROKU_STOP_SECONDS = 30  # SIGKILL follows SIGTERM after this long (see also test_deploy.py)


@pytest.fixture(params=WORKER_CLASSES)
def stoppable(request, own_redis_server):
    """gunicorn in a process group of its own (to be signalled as a platform does), booted."""
    # Redis may be held up longer than its default timeout here; the point is the shutdown.
    service = Gunicorn(own_redis_server.url, workers=WORKERS, REDIS_SOCKET_TIMEOUT="10",
                       **worker_class_env(request.param))
    service.start(own_process_group=True)
    wait_until(lambda: len(worker_pids(service.process.pid)) == WORKERS, what="workers")
    for number in range(20):  # both workers have booted the app and answer
        assert requests.post(f"{service.url}/sip-prewarm", json={"call_sid": f"warm-{number}"},
                             timeout=10).status_code == 200
    yield service
    service.stop()


def stored(redis_server, call_sids) -> list[str]:
    """The call_sids of ``call_sids`` whose context is not in Redis."""
    client = redis_server.client()
    with client.pipeline(transaction=False) as pipe:
        for call_sid in call_sids:
            pipe.exists(f"burki:sip:call:{{{call_sid}}}:context")
        found = pipe.execute()
    return [call_sid for call_sid, there in zip(call_sids, found) if not there]


def wait_stopped(service, signalled: float) -> float:
    service.process.wait(timeout=HEROKU_STOP_SECONDS)
    return time.monotonic() - signalled


def test_sigterm_lets_requests_in_flight_finish(stoppable, own_redis_server):
    admin = own_redis_server.client()
    admin.client_pause(PAUSE_MS, all=False)  # writes wait; reads (and this client) do not
    with ThreadPoolExecutor(WORKERS) as pool:
        calls = [pool.submit(requests.post, f"{stoppable.url}/sip-prewarm",
                             json={"call_sid": f"drain-{n}"}, timeout=20) for n in range(WORKERS)]
        wait_until(lambda: admin.info("clients")["blocked_clients"] == WORKERS, timeout=10,
                   what="both requests waiting on Redis")
        signalled = time.monotonic()
        # As Heroku stops a dyno: SIGTERM to every process in it, master and workers alike.
        os.killpg(stoppable.process.pid, signal.SIGTERM)
        responses = [call.result() for call in calls]
    stopped_after = wait_stopped(stoppable, signalled)
    output = stoppable.stop()

    assert [response.status_code for response in responses] == [200] * WORKERS
    assert stored(own_redis_server, [f"drain-{n}" for n in range(WORKERS)]) == []
    assert stopped_after < gunicorn_setting("graceful_timeout"), output
    assert "Handling signal: term" in output and "Shutting down: Master" in output


def test_sigterm_answers_requests_held_back_by_their_last_byte(stoppable, own_redis_server):
    # 20 connections for 2 workers: under sync, 18 of them wait in the listen backlog.
    held = held_back_requests(stoppable.port, 20)
    time.sleep(0.2)
    signalled = time.monotonic()
    os.kill(stoppable.process.pid, signal.SIGTERM)
    statuses = finish_held_back(held)
    stopped_after = wait_stopped(stoppable, signalled)

    assert statuses == [200] * 20
    assert stored(own_redis_server, [f"held-{n}" for n in range(20)]) == []
    assert stopped_after < gunicorn_setting("graceful_timeout")


def test_sigterm_serves_connections_queued_in_the_backlog(stoppable, own_redis_server):
    workers = worker_pids(stoppable.process.pid)
    stop_workers(workers)  # nobody accepts: the connections wait in the kernel's queue
    try:
        queued = [Connection(stoppable.port, timeout=30) for _ in range(30)]
        for number, connection in enumerate(queued):
            connection.send(prewarm_bytes(f"queued-{number}"))
        signalled = time.monotonic()
        os.kill(stoppable.process.pid, signal.SIGTERM)
        time.sleep(0.2)
    finally:
        stop_workers(workers, signal.SIGCONT)
    statuses = []
    for connection in queued:
        try:
            statuses.append(connection.read_answer().status)
        except OSError:
            statuses.append(None)
        connection.close()
    stopped_after = wait_stopped(stoppable, signalled)

    assert statuses == [200] * 30
    assert stored(own_redis_server, [f"queued-{n}" for n in range(30)]) == []
    assert stopped_after < gunicorn_setting("graceful_timeout")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["term", "hup"])
def test_signal_under_steady_keep_alive_load_loses_nothing(stoppable, own_redis_server, sig):
    load = SteadyLoad(stoppable.port, clients=32, max_seconds=4 if sig == signal.SIGHUP else 20)
    load.wait_for(300)
    load.signal(stoppable.process.pid, sig)
    if sig == signal.SIGHUP:
        records = load.finish()  # the load runs on over the new workers until its time is up
    else:
        stopped_after = wait_stopped(stoppable, load.signalled_at)
        records = load.finish()
        assert stopped_after < gunicorn_setting("graceful_timeout")

    before = load.before_signal()
    assert len(before) >= 300
    assert [sent for sent in before if sent.status != 200] == []
    if sig == signal.SIGHUP:  # reloading refuses nothing
        assert [sent for sent in records if sent.status != 200] == []
    assert {sent.status for sent in records} <= {200, None}
    assert stored(own_redis_server, [sent.call_sid for sent in records if sent.status == 200]) == []


def test_ctrl_c_stops_quietly(own_redis_server):
    # Ctrl-C in a terminal (make run) sends SIGINT to every process of the group.
    service = Gunicorn(own_redis_server.url, workers=WORKERS).start(own_process_group=True)
    wait_until(lambda: len(worker_pids(service.process.pid)) == WORKERS, what="workers")
    assert requests.post(f"{service.url}/sip-prewarm", json={"call_sid": "int-1"},
                         timeout=10).status_code == 200
    time.sleep(1.0)  # both workers booted
    os.killpg(service.process.pid, signal.SIGINT)
    service.process.wait(timeout=HEROKU_STOP_SECONDS)
    output = service.stop()
    assert "Traceback" not in output and "Shutting down: Master" in output


def test_sigterm_while_the_workers_boot_stops_without_waiting_out_the_grace(own_redis_server):
    # A deploy right after a restart: the platform signals every process while the workers are
    # still importing the app, before gunicorn has put its own handlers in.
    service = Gunicorn(own_redis_server.url, workers=WORKERS).start(own_process_group=True)
    signalled = time.monotonic()
    os.killpg(service.process.pid, signal.SIGTERM)
    stopped_after = wait_stopped(service, signalled)
    output = service.stop()
    assert "Booting worker" in output and "Shutting down: Master" in output
    assert stopped_after < gunicorn_setting("graceful_timeout") / 2, output
