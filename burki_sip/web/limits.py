"""Request bodies whole and within their limits, however they are sent: the app's ``request_class``.

Three gaps in werkzeug 3.1 are closed here:

- A body that ends before its ``Content-Length`` (the client closed the connection early) is
  handed over as if complete: gunicorn sets ``wsgi.input_terminated``, and werkzeug then reads
  its stream as it is, without counting. ``WholeBodyStream`` counts and answers 400 instead, and
  so does a chunked body cut before its last chunk (gunicorn raises its own errors for that), so
  a cut body is never parsed or stored, and the sender's retry is not taken for a duplicate.

- A streamed body (``Transfer-Encoding: chunked``, no ``Content-Length``) longer than
  ``MAX_CONTENT_LENGTH`` is cut at the limit and handed over as if complete; nothing is raised
  unless something reads again. ``EndCheckedStream`` looks one byte past the limit and answers
  413 when there is more, so a long body is refused, never stored truncated.
- When a form is refused half-way (too many parts), the temporary files werkzeug opened for its
  file parts stay open. No route reads files and ``MAX_CONTENT_LENGTH`` bounds them, so they are
  kept in memory instead.
"""

from __future__ import annotations

import io
import typing as t

from flask import Request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from .errors import ApiError

INCOMPLETE_BODY = "request body incomplete: the connection ended before the whole body arrived"


class WholeBodyStream(LimitedStream):
    """Exactly ``Content-Length`` bytes, or a 400 when the body stops short or breaks off."""

    def on_disconnect(self, error: Exception | None = None) -> None:
        if not self._limit_is_max or error is not None:
            raise ApiError(INCOMPLETE_BODY) from error

    def readinto(self, buffer) -> int | None:
        try:
            return super().readinto(buffer)
        except ParseException as exc:  # gunicorn's: a chunk cut short or never terminated
            raise ApiError(INCOMPLETE_BODY) from exc


class EndCheckedStream(WholeBodyStream):
    """A stream limited to ``MAX_CONTENT_LENGTH`` that tells "ends at the limit" from "goes on"."""

    def on_exhausted(self) -> None:
        """At the limit: 413 if the client sent more, else the body simply ends here."""
        if self._stream.read(1):
            raise RequestEntityTooLarge()

    def readall(self) -> bytes:
        """Everything up to the limit, then the check that nothing follows."""
        data = super().readall()
        if self.is_exhausted:
            self.on_exhausted()
        return data


class BoundedRequest(Request):
    """Flask's request with the fixes above."""

    @cached_property
    def stream(self) -> t.IO[bytes]:
        """The body stream: whole, limited as werkzeug limits it, and end-checked when streamed."""
        limit, length = self.max_content_length, self.content_length
        if "wsgi.input_terminated" not in self.environ:
            return get_input_stream(self.environ, max_content_length=limit)
        body = self.environ["wsgi.input"]
        if length is not None:
            if limit is not None and length > limit:
                raise RequestEntityTooLarge()
            return t.cast(t.IO[bytes], WholeBodyStream(body, length))
        if limit is not None:
            return t.cast(t.IO[bytes], EndCheckedStream(body, limit, is_max=True))
        return t.cast(t.IO[bytes], WholeBodyStream(body, 2**63, is_max=True))

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None) -> t.IO[bytes]:
        return io.BytesIO()
