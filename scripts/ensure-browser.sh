#!/usr/bin/env bash
# Install what the browser tests need, if it is missing: Debian's Chromium (Playwright
# drives it; it downloads no browser of its own) and the npm packages (KERN UX) that
# tests/test_assets.py compares the committed static/vendor/kern/ with.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=yes
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Chromium…"
    apt_install chromium
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "Installing Node.js and npm…"
    apt_install nodejs npm
fi
# npm ci only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
/usr/bin/chromium --version 2>/dev/null
