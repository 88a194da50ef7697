"""Request bodies within their limits, however they are sent: the app's ``request_class``.

Two gaps in werkzeug 3.1 are closed here:

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
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream


class EndCheckedStream(LimitedStream):
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
    """Flask's request with the two fixes above."""

    @cached_property
    def stream(self) -> t.IO[bytes]:
        """The body stream, limited as werkzeug limits it, and end-checked when streamed."""
        limit = self.max_content_length
        if limit is not None and self.content_length is None \
                and "wsgi.input_terminated" in self.environ:
            return t.cast(t.IO[bytes], EndCheckedStream(self.environ["wsgi.input"], limit,
                                                        is_max=True))
        return get_input_stream(self.environ, max_content_length=limit)

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None) -> t.IO[bytes]:
        return io.BytesIO()
