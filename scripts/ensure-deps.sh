#!/usr/bin/env bash
# Installs the workspace's npm dependencies when they are missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "kernelet: installing npm dependencies" >&2
  npm ci --no-audit --no-fund
fi
