"""burki_sip/serving/drain.py: the queue probe, the handler's hand-over, and the guard on what it
relies on of gunicorn (the one test allowed to read gunicorn's worker attributes): when a gunicorn
upgrade changes any of it, this fails before a deploy drops requests."""

import json
import signal
import socket
import subprocess
import sys

import pytest
from gunicorn.config import Config

from burki_sip.serving import drain
from support import ROOT

# Run in a child process: a worker's init_process installs signal handlers, and gevent's patches
# the whole process. The worker gets a real gunicorn listener with one connection queued on it.
WORKER_BOOT = r"""
import json, signal, socket, sys
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn import sock, util
from burki_sip.serving import drain

module, name = sys.argv[1].rsplit(".", 1)
worker_class = getattr(__import__(module, fromlist=[name]), name)
cfg = Config()
cfg.set("bind", ["127.0.0.1:0"])
cfg.set("graceful_timeout", 7)
log = Logger(cfg)
[listener] = sock.create_sockets(cfg, log)
client = socket.create_connection(listener.getsockname())


class App:
    def wsgi(self):
        return lambda environ, start_response: []


def post_worker_init(worker):
    handler = signal.getsignal(signal.SIGTERM)
    quick = [signal.getsignal(sig) for sig in (signal.SIGQUIT, signal.SIGINT)]
    held = signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    queued = [drain.queued_connections(listener) for listener in worker.sockets]
    handler(signal.SIGTERM, None)
    print(json.dumps({"handler_is_the_workers": getattr(handler, "__self__", None) is worker,
                      "quick_stop_is_the_workers": [getattr(h, "__self__", None) is worker
                                                    for h in quick],
                      "sigterm_still_held": held, "queued": queued,
                      "graceful_timeout": worker.cfg.graceful_timeout,
                      "stops_the_worker": worker.alive is False}))
    sys.stdout.flush()
    sys.exit(0)


cfg.set("post_worker_init", post_worker_init)
worker = worker_class(1, 0, [listener], App(), 30, cfg, log)
drain.hold_sigterm(None, worker)
worker.init_process()
"""

STOCK_CLASSES = ["gunicorn.workers.ggevent.GeventWorker", "gunicorn.workers.sync.SyncWorker",
                 "gunicorn.workers.gthread.ThreadWorker"]


@pytest.mark.parametrize("worker_class", STOCK_CLASSES)
def test_what_the_drain_relies_on_holds_in_each_stock_worker(worker_class):
    finished = subprocess.run([sys.executable, "-c", WORKER_BOOT, worker_class], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    facts = json.loads(finished.stdout.strip().splitlines()[-1])
    assert facts == {
        "handler_is_the_workers": True,  # gunicorn's SIGTERM handler is in place by the hook
        "quick_stop_is_the_workers": [True, True],  # and its SIGQUIT/SIGINT one: quick_stop_once
        "sigterm_still_held": True,      # nothing in the worker's boot unblocks SIGTERM
        "queued": [1],                   # worker.sockets are the listeners, probed as they are
        "graceful_timeout": 7,           # worker.cfg carries the settings
        "stops_the_worker": True,        # and the handler we hand over to stops the worker
    }, finished.stderr


@pytest.mark.parametrize(("hook", "function"), [("post_fork", drain.hold_sigterm),
                                                ("post_worker_init", drain.drain_on_sigterm)])
def test_the_hooks_take_what_gunicorn_passes(hook, function):
    Config().set(hook, function)  # gunicorn checks a hook's arity as it reads the setting


def test_queued_connections_counts_the_accept_queue():
    listener = socket.create_server(("127.0.0.1", 0))
    clients = [socket.create_connection(listener.getsockname()) for _ in range(3)]
    try:
        assert drain.queued_connections(listener) == 3
        listener.accept()[0].close()
        assert drain.queued_connections(listener) == 2
    finally:
        for client in clients:
            client.close()
        listener.close()
    assert drain.queued_connections(object()) == 0


def test_the_drain_hands_over_once_the_queue_is_empty(monkeypatch):
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    stopped = []
    timers = []
    monkeypatch.setattr(signal, "setitimer", lambda *args: timers.append(args[1:]))
    handler = drain.Drain([listener], 20, lambda sig, frame: stopped.append(sig))
    try:
        handler.start(signal.SIGTERM, None)
        assert stopped == [] and timers == [(drain.POLL_SECONDS, drain.POLL_SECONDS)]
        listener.accept()[0].close()
        handler.check(signal.SIGALRM, None)
        handler.start(signal.SIGTERM, None)  # the master's own SIGTERM, after the platform's
        handler.check(signal.SIGALRM, None)
        assert stopped == [signal.SIGTERM] and timers[-1] == (0,)
    finally:
        client.close()
        listener.close()


def test_the_drain_hands_over_when_time_is_short(monkeypatch):
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    stopped = []
    monkeypatch.setattr(signal, "setitimer", lambda *args: None)
    try:
        drain.Drain([listener], 0, lambda sig, frame: stopped.append(sig)).start(
            signal.SIGTERM, None)
    finally:
        client.close()
        listener.close()
    assert stopped == [signal.SIGTERM]  # a connection still waits, but there is no time left


def test_a_quick_stop_runs_gunicorns_handler_once():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGQUIT)}
    calls = []
    try:
        signal.signal(signal.SIGQUIT, lambda sig, frame: calls.append(sig))
        drain.quick_stop_once()
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)   # Ctrl-C in the terminal
        signal.getsignal(signal.SIGQUIT)(signal.SIGQUIT, None)  # then the master's SIGQUIT
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert calls == [signal.SIGINT]
