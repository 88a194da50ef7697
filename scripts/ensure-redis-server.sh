#!/bin/sh
# Make sure redis-server, redis-cli (the integration tests start their own servers, clusters and
# Sentinels) and openssl (they make throw-away TLS certificates) are on PATH.
set -eu
missing=""
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || missing=" redis-server"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "not found: installing the Debian packages:$missing" >&2
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  exit 0
fi
echo "the tests need the packages:$missing" \
     "(Debian/Ubuntu: sudo apt-get install$missing; macOS: brew install redis openssl)" >&2
exit 1
