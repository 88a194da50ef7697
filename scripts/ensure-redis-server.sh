#!/bin/sh
# Make sure redis-server and redis-cli are on PATH (`make run` without REDIS_URL starts its own
# redis-server; the integration tests start their own servers, clusters and Sentinels), and
# openssl (the tests make throw-away TLS certificates). Where they cannot be installed, one line
# names the packages.
set -eu
. "${0%/*}/apt-install.sh"
missing=""
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || missing=" redis-server"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
[ -z "$missing" ] && exit 0
# shellcheck disable=SC2086
apt_install $missing && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "burki-sip needs the packages:$missing, and apt-get could not install them" \
       "(try: apt-get install$missing)" >&2
  exit 1
fi
echo "burki-sip needs the packages:$missing" \
     "(Debian/Ubuntu: sudo apt-get install$missing; macOS: brew install redis openssl)" >&2
exit 1
