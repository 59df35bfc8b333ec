#!/usr/bin/env bash
# Install what the benchmark needs besides the test's system packages, when missing: Debian's
# redis-server (the Celery baseline's broker; the bench starts its own throwaway server from the
# binary, so the packaged service is stopped again). Needs root for apt-get.
set -euo pipefail

bash "$(dirname "$0")/system-deps.sh"

command -v redis-server >/dev/null 2>&1 && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "The benchmark needs redis-server. Install it with: sudo apt-get install redis-server" >&2
  exit 1
fi
echo "Installing redis-server for the benchmark's Celery baseline"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq redis-server >/dev/null
# The bench runs its own server on a free port; the distribution's service is not needed.
if command -v service >/dev/null 2>&1; then
  service redis-server stop >/dev/null 2>&1 || true
fi
