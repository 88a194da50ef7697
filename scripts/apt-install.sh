# Sourced by the ensure-*.sh scripts: apt_install PACKAGE... installs Debian packages when this
# can (as root, with apt-get). Status 0 when installed, 1 when it cannot (not root, no apt-get, or
# apt-get failed); the caller then says what to install.
apt_install() {
  [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "installing the Debian packages: $*" >&2
  apt-get update -qq >/dev/null 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}
