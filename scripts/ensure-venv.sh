#!/bin/sh
# Create the virtual environment $1 with Python 3.11 or newer, installing Debian's python3-venv
# first if it is missing. An older Python stops here with what to do, before pip runs.
set -eu
venv="$1"
PYTHON="${PYTHON:-python3}"
needs="burki-sip needs Python 3.11 or newer"
version_ok='import sys; sys.exit(sys.version_info < (3, 11))'
if [ -x "$venv/bin/python" ]; then
  "$venv/bin/python" -c "$version_ok" && exit 0
  echo "$needs; $venv was made with $("$venv/bin/python" -V 2>&1): run 'make clean' first" >&2
  exit 1
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "$needs; '$PYTHON' is not installed: install Python 3.11+ or run make PYTHON=python3.12 ..." >&2
  exit 1
fi
if ! "$PYTHON" -c "$version_ok" 2>/dev/null; then
  found=$("$PYTHON" -V 2>/dev/null || echo "not runnable")
  echo "$needs; $PYTHON is $found: install python3.11 (or newer) and run" \
       "make PYTHON=python3.11 ..." >&2
  exit 1
fi
if ! "$PYTHON" -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "python3 -m venv failed: installing the Debian package python3-venv" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    "$PYTHON" -m venv "$venv"
  else
    echo "python3 -m venv failed: install the package 'python3-venv'" >&2
    exit 1
  fi
fi
"$venv/bin/pip" install -q --upgrade pip
