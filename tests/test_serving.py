"""The serving pieces without gunicorn running: worker names, JSON error bytes, the queue probe."""

import json
import socket
import struct

import pytest

from burki_sip.serving import WORKER_CLASSES, worker_class
from burki_sip.serving.drain import cap_backlog_on_stop, queued_connections
from burki_sip.serving.errors import _CapturedAnswer, json_error


def test_worker_classes_by_name():
    assert worker_class("gevent") == WORKER_CLASSES["gevent"]
    with pytest.raises(ValueError, match="WEB_WORKER_CLASS must be one of sync, gthread, gevent"):
        worker_class("eventlet")


@pytest.mark.parametrize("name", sorted(WORKER_CLASSES))
def test_every_worker_class_imports(name):
    module, _, cls = WORKER_CLASSES[name].rpartition(".")
    assert hasattr(__import__(module, fromlist=[cls]), cls)


def test_json_error_is_a_whole_http_answer():
    head, body = json_error(431, "Request Header Fields Too Large").split(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"Content-Type: application/json" in head and b"Connection: close" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body) == {"error": "request header fields too large"}


def test_the_captured_page_gives_its_status():
    captured = _CapturedAnswer()
    captured.sendall(b"HTTP/1.1 414 URI Too Long\r\nContent-Type: text/html\r\n\r\n<html>")
    assert captured.status() == (414, "URI Too Long")
    assert _CapturedAnswer().status() == (500, "Internal Server Error")


def test_queued_connections_counts_the_accept_queue():
    listener = socket.create_server(("127.0.0.1", 0))
    clients = [socket.create_connection(listener.getsockname()) for _ in range(3)]
    try:
        assert queued_connections(listener) == 3
        listener.accept()[0].close()
        assert queued_connections(listener) == 2
    finally:
        for client in clients:
            client.close()
        listener.close()
    assert queued_connections(object()) == 0


class FakeArbiter:
    """What cap_backlog_on_stop uses of gunicorn's Arbiter."""

    def __init__(self, listener, reexec_pid=0):
        self.LISTENERS = [type("Listener", (), {"sock": listener})()]
        self.reexec_pid, self.master_pid, self.systemd = reexec_pid, 0, False
        self.stopped = False

    def handle_term(self):
        self.stopped = True


def backlog_limit(listener) -> int:
    """sk_max_ack_backlog of a listening socket (tcpi_sacked in TCP_INFO)."""
    info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack("8B24I", info)[8 + 5]


@pytest.mark.parametrize(("reexec_pid", "limit"), [(0, 0), (4242, 128)])
def test_sigterm_shrinks_the_backlog_unless_another_master_shares_it(reexec_pid, limit):
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    arbiter = FakeArbiter(listener, reexec_pid)
    try:
        cap_backlog_on_stop(arbiter)
        arbiter.handle_term()
        assert arbiter.stopped and backlog_limit(listener) == limit
    finally:
        listener.close()


class Sent:
    """A socket stand-in that keeps each sendall as one write."""

    def __init__(self):
        self.writes = []

    def sendall(self, data):
        self.writes.append(bytes(data))


class StubRequest:
    version, method = (1, 1), "GET"

    def should_close(self):
        return False


def response(headers):
    from gunicorn.config import Config
    from burki_sip.serving.response import OneWriteResponse

    sock = Sent()
    answer = OneWriteResponse(StubRequest(), sock, Config())
    answer.start_response("200 OK", headers)
    return answer, sock


def test_a_whole_body_leaves_with_its_head_in_one_write():
    answer, sock = response([("Content-Type", "application/json"), ("Content-Length", "12")])
    answer.write(b'{"ok":true}\n')
    answer.close()

    [write] = sock.writes
    head, body = write.split(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Length: 12" in head
    assert b"Connection: keep-alive" in head and body == b'{"ok":true}\n'


def test_a_body_in_pieces_or_chunked_takes_gunicorns_path():
    answer, sock = response([("Content-Length", "4")])
    answer.write(b"ab")
    answer.write(b"cd")
    assert [write for write in sock.writes if not write.startswith(b"HTTP/")] == [b"ab", b"cd"]
    chunked, sock = response([])
    chunked.write(b"xy")
    chunked.close()
    assert b"Transfer-Encoding: chunked" in sock.writes[0] and len(sock.writes) > 1
