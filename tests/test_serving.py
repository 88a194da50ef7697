"""The serving pieces without gunicorn running: worker names, JSON error bytes, the queue probe."""

import json
import socket

import pytest

from burki_sip.serving import WORKER_CLASSES, worker_class
from burki_sip.serving.drain import queued_connections
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
