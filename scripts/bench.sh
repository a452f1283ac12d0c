#!/usr/bin/env bash
# Benchmarks: each prints a table; none of them fails on a missed target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -b
node test/dist/bench/run.js "$@"
