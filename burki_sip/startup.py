"""``python -m burki_sip.startup``: check the service's settings as gunicorn.conf.py does.

Exit status 1 with one line on stderr naming the first bad setting, 0 when all are valid. ``make
run`` runs it before gunicorn, because gunicorn itself parses ``WEB_CONCURRENCY`` as it is
imported, before it reads gunicorn.conf.py: a value that is not a number would be its traceback.
"""

from __future__ import annotations

import os
import sys

from .config import startup_problem

# Variables an older release read, and what replaced each: an environment that still sets one is
# warned rather than silently ignored (docs/configuration.md, "Former settings").
RETIRED = {
    "LIVEKIT_API_KEY": "LIVEKIT_API_KEYS (key:secret pairs)",
    "LIVEKIT_API_SECRET": "LIVEKIT_API_KEYS (key:secret pairs)",
    "SIP_CONSOLE_ENABLED": "the console is on exactly when SIP_CONSOLE_USERS is set",
    "SIP_CONSOLE_CALLS": "nothing: the console lists calls from the streams' newest entries",
    "SIP_BRIDGE_CONNECT_TIMEOUT": "burki-sip sync-organization --connect-timeout",
    "SIP_BRIDGE_READ_TIMEOUT": "burki-sip sync-organization --read-timeout",
    "SIP_BRIDGE_RETRIES": "burki-sip sync-organization --retries",
    "SIP_BRIDGE_BACKOFF": "burki-sip sync-organization --backoff",
    "REDIS_HEALTH_TIMEOUT": "a constant (0.5 s)",
    "MAX_FORM_MEMORY_SIZE": "MAX_CONTENT_LENGTH",
    "MAX_FORM_PARTS": "a constant (200)",
    "SIP_EVENTS_CLAIM_IDLE": "burki-sip events consume --claim-idle",
    "SIP_BENCH_NOOP": "bench/app.py serves the floors of make bench",
    "WEB_WORKER_CLASS": "gunicorn's own --worker-class (e.g. GUNICORN_CMD_ARGS=\"--worker-class sync\")",
}


def main(warn: bool = True) -> int:
    """Print the first problem with the settings in ``os.environ`` and, with ``warn``, a line for
    each former setting still set; return the exit status."""
    for name in [name for name in RETIRED if name in os.environ] if warn else ():
        print(f"Warning: {name} is no longer read: {RETIRED[name]}", file=sys.stderr)
    problem = startup_problem(os.environ)
    if problem:
        print(f"Error: {problem}", file=sys.stderr)
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main(warn=False))  # make run: gunicorn.conf.py's own check warns right after
