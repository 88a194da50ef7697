#!/bin/sh
# Make sure wrk (the benchmark's load generator) is on PATH: Debian's package, installed as root.
set -eu
. "${0%/*}/apt-install.sh"
command -v wrk >/dev/null 2>&1 && exit 0
apt_install wrk && exit 0
echo "make bench needs wrk: install the package 'wrk' (Debian/Ubuntu: sudo apt-get install wrk;" \
     "macOS: brew install wrk)" >&2
exit 1
