"""Request bodies whole and within ``MAX_CONTENT_LENGTH``, however they are sent (``init_app``).

When the WSGI server ends the body itself (gunicorn sets ``wsgi.input_terminated``), werkzeug
reads what the server hands over: a body that stops before its ``Content-Length`` (the client
closed the connection early) reads as if complete, and a streamed body (``Transfer-Encoding:
chunked``) is read up to ``MAX_CONTENT_LENGTH`` and no further, without saying whether more
followed. So the app reads ``wsgi.input`` through ``WholeBody``, which counts: 400 when the body
stops short or its read fails, 413 when a streamed body goes on past the limit. A cut body is
never parsed or stored, so the sender's retry is not taken for a duplicate, and a long one is
never stored truncated.
"""

from __future__ import annotations

import io

import flask
from flask import Flask
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.wsgi import get_content_length

from .errors import ApiError

INCOMPLETE_BODY = "request body incomplete: the connection ended before the whole body arrived"


class WholeBody(io.RawIOBase):
    """The server's body stream, counted against its ``Content-Length`` or the limit."""

    def __init__(self, stream, length: int | None, limit: int | None) -> None:
        super().__init__()
        self.stream, self.length, self.limit, self.count = stream, length, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.stream.read(len(buffer))
            self.count += len(data)
            goes_on = self.length is None and self.at_limit() and self.stream.read(1)
        except Exception as exc:  # a body that broke off: each server raises its own type for it
            raise ApiError(INCOMPLETE_BODY) from exc
        if goes_on:
            raise RequestEntityTooLarge()
        if not data and self.length is not None and self.count < self.length:
            raise ApiError(INCOMPLETE_BODY)
        buffer[:len(data)] = data
        return len(data)

    def at_limit(self) -> bool:
        """True once the limit is read: werkzeug asks no further, so one byte more tells."""
        return self.limit is not None and self.count >= self.limit


class WholeBodies:
    """WSGI middleware: the app reads every request's body through ``WholeBody``."""

    def __init__(self, wsgi_app, config) -> None:
        self.wsgi_app, self.config = wsgi_app, config

    def __call__(self, environ, start_response):
        environ["wsgi.input"] = WholeBody(environ["wsgi.input"], get_content_length(environ),
                                          self.config.get("MAX_CONTENT_LENGTH"))
        return self.wsgi_app(environ, start_response)


def in_memory(*args, **kwargs) -> io.BytesIO:
    """A form's file part in memory (``stream_factory``): the body is bounded by the limit."""
    return io.BytesIO()


class Request(flask.Request):
    """Flask's request, keeping a form's file parts in memory instead of temporary files.

    No route reads files; werkzeug's temporary files would stay open when a form is refused
    half-way (too many parts), and ``MAX_CONTENT_LENGTH`` bounds the memory.
    """

    def make_form_data_parser(self) -> FormDataParser:
        return self.form_data_parser_class(
            stream_factory=in_memory, max_form_memory_size=self.max_form_memory_size,
            max_content_length=self.max_content_length, max_form_parts=self.max_form_parts,
            cls=self.parameter_storage_class)


def init_app(app: Flask) -> None:
    """Make the app read bodies whole and within the limit."""
    app.request_class = Request
    app.wsgi_app = WholeBodies(app.wsgi_app, app.config)
