#!/bin/sh
# Make sure kamailio (with the modules the reference bridge loads) and sipp are installed: the SIP
# tests and `make demo` place real calls through examples/kamailio/. Where they cannot be
# installed (not root, no apt-get), say what to install and go on: those tests are then skipped
# with the same message.
set -eu
packages="kamailio kamailio-utils-modules kamailio-json-modules kamailio-extra-modules sip-tester"
config="$(dirname "$0")/../examples/kamailio/kamailio.cfg"
ready() {
  command -v sipp >/dev/null 2>&1 && command -v kamailio >/dev/null 2>&1 &&
    kamailio -c -f "$config" >/dev/null 2>&1
}
ready && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "kamailio or sipp missing: installing the Debian packages $packages" >&2
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
  ready && exit 0
  echo "installed $packages, but kamailio still cannot load $config" >&2
  exit 1
fi
echo "the SIP tests need kamailio and sipp, and will be skipped" \
     "(Debian/Ubuntu: sudo apt-get install $packages)" >&2
exit 0
