#!/bin/sh
# Create the virtual environment $1, installing Debian's python3-venv first if it is missing.
set -eu
venv="$1"
[ -x "$venv/bin/python" ] && exit 0
PYTHON="${PYTHON:-python3}"
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
