#!/bin/sh
# Make sure wrk (the benchmark's load generator) is on PATH: Debian's package, installed as root.
set -eu
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "wrk not found: installing the Debian package wrk" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  exit 0
fi
echo "make bench needs wrk: install the package 'wrk' (Debian/Ubuntu: sudo apt-get install wrk;" \
     "macOS: brew install wrk)" >&2
exit 1
