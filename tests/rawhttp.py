"""HTTP/1.1 over a plain socket, for what a client library will not send: cut bodies, bad
request lines, requests held back by a byte, and answers timed to the byte."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field


def request_bytes(path: str, body: bytes, content_type: str = "application/json",
                  headers: dict | None = None, method: str = "POST") -> bytes:
    """A complete request with a Content-Length, keeping the connection alive."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}",
             f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def prewarm_bytes(call_sid: str, headers: dict | None = None) -> bytes:
    """A prewarm request for ``call_sid``."""
    return request_bytes("/sip-prewarm", json.dumps({"call_sid": call_sid}).encode(),
                         headers=headers)


@dataclass
class Answer:
    """One HTTP answer as read off the socket."""

    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    def json(self):
        return json.loads(self.body)

    @property
    def closes(self) -> bool:
        return self.headers.get("connection", "").lower() == "close"


class Connection:
    """One client connection to 127.0.0.1:``port``, reading answers by Content-Length."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed by the server")
        self.buffer += data

    def read_answer(self) -> Answer:
        """The next answer; ConnectionError when the server closes or resets instead."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, value in
                   (line.split(":", 1) for line in header_lines)}
        length = int(headers.get("content-length", 0))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Answer(int(status_line.split()[1]), headers, body)

    def close(self) -> None:
        self.sock.close()


def answer_to(port: int, data: bytes, half_close: bool = False) -> Answer | None:
    """Send ``data`` on a new connection and read one answer; None if the server closes first.

    ``half_close``: shut the sending side afterwards, as a client that stops mid-body does.
    """
    connection = Connection(port)
    try:
        connection.send(data)
        if half_close:
            connection.sock.shutdown(socket.SHUT_WR)
        return connection.read_answer()
    except ConnectionError:
        return None
    finally:
        connection.close()


def now() -> float:
    return time.monotonic()
