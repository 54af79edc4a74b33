#!/usr/bin/env bash
# Install what `make cluster` and tests/cluster/ need, if it is missing: HAProxy and
# PgBouncer from Debian (apt-get update once first). PostgreSQL's own server
# binaries (pg_basebackup, pg_ctl, postgres) come with the PostgreSQL that
# scripts/ensure-services.sh starts; they make the streaming replica.
set -euo pipefail

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=yes
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

for tool in haproxy pgbouncer; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
        echo "Installing $tool…"
        apt_install "$tool"
    fi
done
if ! ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1; then
    echo "Installing PostgreSQL's server binaries…"
    apt_install postgresql
fi
/usr/sbin/haproxy -v | sed -n 1p
/usr/sbin/pgbouncer --version | sed -n 1p
