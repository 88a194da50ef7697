"""The app's log filter: the secrets of its settings (and phone numbers) cut out of every log line.

A logger filter sees only records created on that logger, so the filter goes on every logger under
``COVERED_LOGGERS`` that exists when the app is built (modules create theirs at import). One app
is served per process; a later app (tests build many) replaces the earlier one's filter.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app

from ..config import secret_values
from ..redact import RedactingFilter

EXTENSION = "burki_sip.redaction"
# The loggers that may see request data: ours, the server's, and the libraries' we call.
COVERED_LOGGERS = ("burki_sip", "werkzeug", "gunicorn.error", "gunicorn.access", "redis", "urllib3")


def init_app(app: Flask) -> None:
    """Put a filter of the app's secret settings on the covered loggers, in place of any other."""
    log_filter = RedactingFilter(secret_values(app.config))
    app.extensions[EXTENSION] = log_filter
    below = tuple(prefix + "." for prefix in COVERED_LOGGERS)
    existing = [name for name in logging.root.manager.loggerDict if name.startswith(below)]
    for name in {app.logger.name, *COVERED_LOGGERS, *existing}:
        logger = logging.getLogger(name)
        for earlier in [f for f in logger.filters if isinstance(f, RedactingFilter)]:
            logger.removeFilter(earlier)
        logger.addFilter(log_filter)


def secrets() -> frozenset[str]:
    """The current app's secret values, for text that reaches a log or a page another way."""
    return current_app.extensions[EXTENSION].secrets
