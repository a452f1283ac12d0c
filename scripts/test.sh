#!/usr/bin/env bash
# The whole test suite on a fresh machine: dependencies, build, lint, unit and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -b
npx eslint .
npx vitest run "$@"
