"""Request bodies whole and within ``MAX_CONTENT_LENGTH``, however they are sent (``init_app``).

When the WSGI server ends the body itself (gunicorn sets ``wsgi.input_terminated``), werkzeug reads
what the server hands over: a body cut short of its ``Content-Length`` reads as if complete, and a
chunked body is read up to ``MAX_CONTENT_LENGTH`` without saying whether more followed. So the app
reads ``wsgi.input`` through ``WholeBody``, which counts: 400 when the body stops short or its read
fails, 413 when a chunked body goes on past the limit. A cut body is never parsed or stored, so the
sender's retry is not taken for a duplicate, and a long one is never stored truncated.
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
            # werkzeug reads no further than the limit, so one byte more tells a longer body.
            goes_on = (self.length is None and self.limit is not None
                       and self.count >= self.limit and self.stream.read(1))
        except Exception as exc:  # a body that broke off: each server raises its own type for it
            raise ApiError(INCOMPLETE_BODY) from exc
        if goes_on:
            raise RequestEntityTooLarge()
        if not data and self.length is not None and self.count < self.length:
            raise ApiError(INCOMPLETE_BODY)
        buffer[:len(data)] = data
        return len(data)


class Request(flask.Request):
    """Flask's request, keeping a form's file parts in memory instead of temporary files.

    No route reads files; werkzeug's temporary files would stay open when a form is refused
    half-way (too many parts), and ``MAX_CONTENT_LENGTH`` bounds the memory.
    """

    def make_form_data_parser(self) -> FormDataParser:
        return self.form_data_parser_class(
            stream_factory=lambda *args, **kwargs: io.BytesIO(),
            max_form_memory_size=self.max_form_memory_size,
            max_content_length=self.max_content_length, max_form_parts=self.max_form_parts,
            cls=self.parameter_storage_class)


def init_app(app: Flask) -> None:
    """Make the app read bodies whole and within the limit."""
    app.request_class = Request
    wsgi_app = app.wsgi_app

    def whole_bodies(environ, start_response):
        environ["wsgi.input"] = WholeBody(environ["wsgi.input"], get_content_length(environ),
                                          app.config.get("MAX_CONTENT_LENGTH"))
        return wsgi_app(environ, start_response)

    app.wsgi_app = whole_bodies
