#!/bin/sh
# Make sure redis-server (and redis-cli) are on PATH: the integration tests start their own.
set -eu
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server not found: installing the Debian package redis-server" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "redis-server is required by the tests: install the package 'redis-server'" \
     "(Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)" >&2
exit 1
