#!/usr/bin/env bash
# Runs the agent on a fresh machine with its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -b
exec node --optimize-for-size core/dist/main.js "$@"
