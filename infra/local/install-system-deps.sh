#!/usr/bin/env bash
# Installs Java 17+ and Maven when missing (Debian/Ubuntu, as root or with sudo). Both are needed to fetch
# and run the embedded Apache Kafka broker that tests and the demo use.
set -euo pipefail

need=()
java_ok() {
  command -v java >/dev/null 2>&1 || return 1
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
  [ "${v%%.*}" -ge 17 ] 2>/dev/null
}
# javac too: the differential tests compile their Kafka Connect runner (tests/differential/runner).
{ java_ok && command -v javac >/dev/null 2>&1; } || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing ${need[*]} (needed for the embedded Apache Kafka)..."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install: ${need[*]} (Java 17+ JDK and Maven), or set KAFKA_BOOTSTRAP_SERVERS to a running broker." >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
