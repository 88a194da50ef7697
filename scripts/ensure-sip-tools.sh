#!/bin/sh
# Make sure kamailio (with the modules the reference bridge loads) and sipp are installed: the SIP
# tests and `make demo` place real calls through examples/kamailio/. Where they cannot be
# installed (not root, no apt-get), say what to install and go on: those tests are then skipped
# with the same message.
set -eu
. "${0%/*}/apt-install.sh"
packages="kamailio kamailio-utils-modules kamailio-json-modules kamailio-extra-modules sip-tester"
config="$(dirname "$0")/../examples/kamailio/kamailio.cfg"
ready() {
  command -v sipp >/dev/null 2>&1 && command -v kamailio >/dev/null 2>&1 &&
    kamailio -c -f "$config" >/dev/null 2>&1
}
ready && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  apt_install $packages && ready && exit 0
  echo "could not install $packages, or kamailio still cannot load $config" >&2
  exit 1
fi
echo "the SIP tests need kamailio and sipp, and will be skipped" \
     "(Debian/Ubuntu: sudo apt-get install $packages)" >&2
exit 0
