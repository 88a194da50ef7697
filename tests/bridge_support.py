"""Test helpers for the bridge sync: a valid organization config and bridges that misbehave."""

from __future__ import annotations

import contextlib
import copy
import socket
import threading

API_KEY = "test-key-5f1c9e"
SYNC_PATH = "/api/sync-organization"

VALID_CONFIG = {
    "organization_id": 42,
    "name": "Acme",
    "trunks": [
        {"id": "main", "name": "Carrier A", "host": "sip.carrier-a.example", "transport": "udp",
         "username": "acme", "password": "s3cret-pw", "register": True,
         "allowed_ips": ["52.21.157.171", "203.0.113.0/24"]},
        {"id": 2, "name": "PBX", "host": "192.0.2.10", "transport": "tls", "enabled": False},
    ],
    "phone_numbers": [
        {"number": "+15551234567", "assistant_id": 123},
        {"number": "+442071234567", "assistant_id": 124},
    ],
}


def valid_config() -> dict:
    """A fresh copy of a valid organization config with two trunks and two numbers."""
    return copy.deepcopy(VALID_CONFIG)


@contextlib.contextmanager
def silent_bridge():
    """A loopback server that completes TCP connections and never answers; yields its URL.

    The kernel accepts connections into the listen backlog, so a client connects at once and
    then waits for an answer that never comes: its read timeout must fire.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextlib.contextmanager
def stalling_bridge(seconds: float = 5.0):
    """A loopback server that sends the headers of a 200 and part of its body, then stalls.

    It serves one connection and holds it open at most ``seconds``; yields its URL.
    """
    done = threading.Event()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        sock.settimeout(seconds)

        def serve() -> None:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100\r\n\r\n{")
                done.wait(seconds)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            done.set()
            thread.join(seconds)
