#!/bin/sh
# Make sure Debian's chromium and its driver are installed: the console's browser test drives
# the system browser (nothing is downloaded at test time, no `playwright install`).
set -eu
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found: installing the Debian package chromium" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "the console's browser test needs Chromium" \
     "(Debian/Ubuntu: sudo apt-get install chromium; or set CHROMIUM to its path)" >&2
exit 1
