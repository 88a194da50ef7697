#!/bin/sh
# Make sure Debian's chromium is installed: the browser tests drive the system browser (nothing
# is downloaded at test time, no `playwright install`).
set -eu
. "${0%/*}/apt-install.sh"
command -v chromium >/dev/null 2>&1 && exit 0
apt_install chromium && exit 0
echo "the browser tests need Chromium" \
     "(Debian/Ubuntu: sudo apt-get install chromium; or set CHROMIUM to its path)" >&2
exit 1
