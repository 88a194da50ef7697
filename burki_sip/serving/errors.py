"""gunicorn's own answers to malformed HTTP (400, 414, 431, ...) as JSON, like the app's.

gunicorn decides the status, logs the warning and writes the access line in
``Worker.handle_error``; only its HTML page is replaced. It is captured instead of sent, and the
same status goes out with a JSON body.
"""

from __future__ import annotations

import json

from gunicorn import util


class _CapturedAnswer:
    """Stands in for the client socket while gunicorn writes its HTML error page."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0  # gunicorn then writes at once, without toggling blocking mode

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data

    def status(self) -> tuple[int, str]:
        """The status code and reason of the captured answer (500 if there is none)."""
        parts = self.data.split(b"\r\n", 1)[0].split(b" ", 2)
        if len(parts) == 3 and parts[1].isdigit():
            return int(parts[1]), parts[2].decode("latin-1")
        return 500, "Internal Server Error"


def json_error(status: int, reason: str) -> bytes:
    """A complete HTTP/1.1 answer with ``{"error": "<reason>"}``, closing the connection."""
    body = json.dumps({"error": reason.lower()}).encode("ascii") + b"\n"
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class JsonErrors:
    """Worker mixin: gunicorn's error answers, with a JSON body instead of an HTML page."""

    def handle_error(self, req, client, addr, exc) -> None:
        captured = _CapturedAnswer()
        super().handle_error(req, captured, addr, exc)
        try:
            util.write_nonblock(client, json_error(*captured.status()))
        except Exception:  # the client is gone or the socket is broken: nothing more to say
            self.log.debug("Failed to send error message.")
