#!/usr/bin/env bash
# Installs PostgreSQL and MariaDB servers from Debian's packages when missing (as root or with sudo).
# The sink tests start throwaway instances of them on free 127.0.0.1 ports in temporary directories;
# the packages' own services are not used (and policy-rc.d may keep them from starting: that is fine).
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
{ command -v mariadbd || command -v mysqld || [ -x /usr/sbin/mariadbd ]; } >/dev/null 2>&1 || need+=(mariadb-server)
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing ${need[*]} (needed by the database sink tests)..."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install: ${need[*]}" >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
