#!/usr/bin/env bash
# Installs Chromium and its WebDriver from Debian's packages when missing (as root or with sudo): the web console's
# browser test (tests/integration/test_console_browser.py) drives headless Chromium through /usr/bin/chromedriver.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing ${need[*]} (needed by the web console's browser test)..."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install: ${need[*]} (Chromium and chromedriver at /usr/bin)" >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
