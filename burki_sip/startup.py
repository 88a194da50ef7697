"""``python -m burki_sip.startup``: check the service's settings as gunicorn.conf.py does.

Exit status 1 with one line on stderr naming the first bad setting, 0 when all are valid. ``make
run`` runs it before gunicorn, because gunicorn itself parses ``WEB_CONCURRENCY`` as it is
imported, before it reads gunicorn.conf.py: a value that is not a number would be its traceback.
"""

from __future__ import annotations

import os
import sys

from .config import RETIRED, startup_problem


def main(warn: bool = True) -> int:
    """Print the first problem with the settings in ``os.environ`` and, with ``warn``, a line for
    each former setting still set; return the exit status."""
    for name in [name for name in RETIRED if name in os.environ] if warn else ():
        print(f"Warning: {name} is no longer read: {RETIRED[name]}", file=sys.stderr)
    problem = startup_problem(os.environ)
    if problem:
        print(f"Error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(warn=False))  # make run: gunicorn.conf.py's own check warns right after
